// core/program.cpp - graph validation and shape inference.
//
// Checks run in an order that reports the most basic problem first: names,
// ops and attributes, then structure (dangling inputs, cycles, outputs), then
// parameters, then dtypes and shapes at two batch sizes (a dim that differs
// between them follows the batch and prints as N).
#include "core/program.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <set>

#include "core/graph_analysis.h"
#include "core/initializers.h"
#include "core/op_context.h"

namespace tapeflow {
namespace {

constexpr int64_t kProbeBatchA = 1;
constexpr int64_t kProbeBatchB = 3;
constexpr size_t kMaxNameLength = 256;

/// Splits s into runs of digits and runs of everything else.
std::vector<std::string> numberRuns(const std::string& s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    bool digit = std::isdigit(static_cast<unsigned char>(s[i]));
    size_t j = i;
    while (j < s.size() &&
           bool(std::isdigit(static_cast<unsigned char>(s[j]))) == digit)
      ++j;
    out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

/// The message of an error raised at batch kProbeBatchA with every number
/// that follows the batch (a, where the same error at kProbeBatchB says b =
/// a * B / A) written as N or N*k: "src [1,16,5,5]" becomes "[N,16,5,5]",
/// "(16 elements)" of a whole batch "(N*16 elements)". Anything that does
/// not line up is left as it was.
std::string batchAsN(const std::string& atA, const std::string& atB) {
  std::vector<std::string> a = numberRuns(atA), b = numberRuns(atB);
  if (a.size() != b.size()) return atA;
  std::string out;
  for (size_t i = 0; i < a.size(); ++i) {
    bool digits = std::isdigit(static_cast<unsigned char>(a[i][0]));
    if (a[i] == b[i]) {
      out += a[i];
      continue;
    }
    if (!digits || a[i].size() > 15 || b[i].size() > 15) return atA;
    int64_t x = std::stoll(a[i]), y = std::stoll(b[i]);
    if (x % kProbeBatchA != 0 || y * kProbeBatchA != x * kProbeBatchB)
      return atA;
    int64_t k = x / kProbeBatchA;
    out += k == 1 ? "N" : "N*" + std::to_string(k);
  }
  return out;
}

bool legalName(const std::string& s) {
  if (s.empty() || s.size() > kMaxNameLength) return false;
  for (unsigned char c : s)
    if (!(std::isalnum(c) || c == '_' || c == '.' || c == '/' || c == '-'))
      return false;
  return true;
}

std::string shortName(const std::string& s) {
  return s.size() > 40 ? s.substr(0, 40) + "..." : s;
}

std::string joinNames(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i)
    out += (i ? ", '" : "'") + names[i] + "'";
  return out;
}

const SourceLoc& pick(const std::vector<SourceLoc>& locs, size_t i,
                      const SourceLoc& fallback) {
  return i < locs.size() && locs[i].line > 0 ? locs[i] : fallback;
}

/// "1.5", "nan", "inf", "-inf": a float as a message shows it.
std::string floatStr(float v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", double(v));
  return buf;
}

/// Rejects numbers in a param's declaration that would only fail (or
/// silently poison the weights) at step 0: NaN, Inf or a literal beyond the
/// f32 range (it arrives here as Inf) in the inline data or initializer
/// arguments, `uniform` with low > high and `normal` with stddev < 0.
void checkParamNumbers(const ParamDef& p) {
  const std::string who = "param '" + shortName(p.name) + "'";
  for (size_t i = 0; i < p.data.size(); ++i)
    if (!std::isfinite(p.data[i]))
      throw ParseError(p.loc, "", "",
                       who + ": data[" + std::to_string(i) + "] is " +
                           floatStr(p.data[i]) +
                           "; values must be finite f32 (|x| <= 3.4e38)");
  if (!p.data.empty()) return;
  const Initializer& in = p.init;
  const SourceLoc& loc = in.loc.line > 0 ? in.loc : p.loc;
  const std::pair<const char*, float> args[] = {{"value", in.value},
                                                {"low", in.low},
                                                {"high", in.high},
                                                {"mean", in.mean},
                                                {"stddev", in.stddev}};
  for (const auto& [field, v] : args)
    if (!std::isfinite(v))
      throw ParseError(loc, "", "",
                       who + ": init " + field + " is " + floatStr(v) +
                           "; it must be a finite f32 (|x| <= 3.4e38)");
  if (in.kind == "uniform" && !std::isfinite(in.high - in.low))
    throw ParseError(loc, "", "",
                     who + ": uniform init range [" + floatStr(in.low) + ", " +
                         floatStr(in.high) + "] is wider than the f32 range");
  if (in.kind == "uniform" && in.low > in.high)
    throw ParseError(loc, "", "",
                     who + ": uniform init needs low <= high, found low " +
                         floatStr(in.low) + " > high " + floatStr(in.high));
  if (in.kind == "normal" && in.stddev < 0)
    throw ParseError(loc, "", "",
                     who + ": normal init needs stddev >= 0, found " +
                         floatStr(in.stddev));
}

}  // namespace

std::shared_ptr<const Program> Program::build(Graph graph,
                                              const OpRegistry& registry) {
  if (graph.losses.empty()) return buildChecked(std::move(graph), registry);
  // Several losses: the graph as declared (the first loss standing for the
  // objective) must be valid, and every loss an f32 scalar, before the
  // objective node is added.
  Graph declared = graph;
  declared.losses.clear();
  std::shared_ptr<Program> first = buildChecked(std::move(declared), registry);
  std::set<std::string> seen;
  std::vector<float> weights;
  for (const LossTerm& t : graph.losses) {
    const SourceLoc& loc = t.loc.line > 0 ? t.loc : graph.loc;
    if (!seen.insert(t.name).second)
      throw GraphError(loc, "", "", "loss '" + shortName(t.name) + "' is declared twice");
    if (!std::isfinite(t.weight) || t.weight < 0)
      throw GraphError(loc, "", "",
                       "loss '" + shortName(t.name) + "' has weight " + floatStr(t.weight) +
                           "; a loss weight must be finite and >= 0");
    int v = first->findValue(t.name);
    if (v < 0)
      throw GraphError(loc, "", "",
                       "loss '" + shortName(t.name) +
                           "' is not produced by any node, input or param");
    const ValueInfo& info = first->value(v);
    if (numel(info.dims) != 1 || info.dtype != DType::F32)
      throw GraphError(loc, "", "",
                       "loss '" + info.name + "' must be an f32 scalar, found " +
                           dtypeName(info.dtype) + " " + dimsStr(info.dims, true));
    weights.push_back(t.weight);
  }
  // The objective: a WeightedSum node named `objective` (or objective_1,
  // ... when the graph uses that name).
  std::string name = "objective";
  auto taken = [&](const std::string& n) {
    if (first->findValue(n) >= 0) return true;
    for (const Node& node : graph.nodes)
      if (node.name == n) return true;
    return false;
  };
  for (int k = 1; taken(name); ++k) name = "objective_" + std::to_string(k);
  Node objective;
  objective.name = name;
  objective.op = "WeightedSum";
  for (const LossTerm& t : graph.losses) objective.inputs.push_back(t.name);
  objective.outputs = {name};
  objective.attrs["weights"] = AttrValue::ofFloats(weights);
  objective.loc = graph.losses[0].loc;
  graph.nodes.push_back(std::move(objective));
  graph.loss = name;
  graph.lossLoc = graph.losses[0].loc;
  std::shared_ptr<Program> p = buildChecked(std::move(graph), registry);
  p->lossTerms_.clear();
  for (const LossTerm& t : p->graph_.losses) p->lossTerms_.push_back(p->findValue(t.name));
  return p;
}

Graph Program::declaredGraph() const {
  Graph g = graph_;
  if (g.losses.empty()) return g;
  std::erase_if(g.nodes, [&g](const Node& n) { return n.name == g.loss && n.op == "WeightedSum"; });
  g.loss = g.losses[0].name;
  g.lossLoc = g.losses[0].loc;
  return g;
}

std::shared_ptr<Program> Program::buildChecked(Graph graph, const OpRegistry& registry) {
  std::shared_ptr<Program> p(new Program());
  p->graph_ = std::move(graph);
  const Graph& g = p->graph_;
  if (g.nodes.empty())
    throw GraphError(g.loc, "", "", "graph has no nodes");
  p->resolveNames(registry);
  p->checkAttrs();
  p->checkGraphStructure();
  p->checkParams();
  p->checkStateInputs();
  p->inferShapes();
  if (p->loss_ >= 0) p->lossTerms_ = {p->loss_};
  return p;
}

int Program::findValue(const std::string& name) const {
  auto it = valueIndex_.find(name);
  return it == valueIndex_.end() ? -1 : it->second;
}

void Program::resolveNames(const OpRegistry& registry) {
  const Graph& g = graph_;
  auto declare = [&](const std::string& name, ValueKind kind, int owner,
                     int port, const SourceLoc& loc, const std::string& node,
                     const std::string& op) {
    if (!legalName(name))
      throw GraphError(loc, node, op,
                       "value name '" + shortName(name) +
                           "' is empty, longer than 256 characters or has "
                           "characters other than letters, digits and _./-");
    auto [it, fresh] = valueIndex_.emplace(name, int(values_.size()));
    if (!fresh)
      throw GraphError(loc, node, op,
                       "value '" + name + "' is produced twice (first at " +
                           values_[it->second].loc.str() + ")");
    ValueInfo v;
    v.name = name;
    v.kind = kind;
    v.owner = owner;
    v.port = port;
    v.loc = loc;
    values_.push_back(std::move(v));
  };
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    declare(g.inputs[i].name, ValueKind::Input, int(i), 0, g.inputs[i].loc, "",
            "");
    values_.back().dtype = g.inputs[i].dtype;
  }
  for (size_t i = 0; i < g.params.size(); ++i) {
    declare(g.params[i].name, ValueKind::Param, int(i), 0, g.params[i].loc, "",
            "");
    values_.back().dtype = g.params[i].dtype;
  }
  std::map<std::string, size_t> nodeNames;
  ops_.resize(g.nodes.size());
  out_.resize(g.nodes.size());
  in_.resize(g.nodes.size());
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    const Node& node = g.nodes[n];
    if (!legalName(node.name))
      throw GraphError(node.loc, "", "",
                       "node name '" + shortName(node.name) +
                           "' is empty, longer than 256 characters or has "
                           "characters other than letters, digits and _./-");
    auto [it, fresh] = nodeNames.emplace(node.name, n);
    if (!fresh)
      throw GraphError(node.loc, node.name, node.op,
                       "node name is used twice (first at " +
                           g.nodes[it->second].loc.str() + ")");
    const OpDef* def = registry.find(node.op);
    if (!def) {
      std::string msg = "unknown op '" + shortName(node.op) + "'";
      auto near = registry.closest(node.op, 3);
      if (!near.empty()) msg += "; did you mean " + joinNames(near) + "?";
      throw GraphError(node.loc, node.name, "", msg);
    }
    ops_[n] = def;
    int nin = int(node.inputs.size());
    if (nin < def->minInputs() ||
        (def->maxInputs() >= 0 && nin > def->maxInputs())) {
      std::string want =
          def->maxInputs() < 0
              ? "at least " + std::to_string(def->minInputs())
              : def->minInputs() == def->maxInputs()
                    ? std::to_string(def->minInputs())
                    : std::to_string(def->minInputs()) + " to " +
                          std::to_string(def->maxInputs());
      throw GraphError(node.loc, node.name, node.op,
                       "expected " + want + " inputs, found " +
                           std::to_string(nin));
    }
    int nout = int(node.outputs.size());
    if (nout < def->minOutputs() || (def->maxOutputs() >= 0 && nout > def->maxOutputs()))
      throw GraphError(node.loc, node.name, node.op,
                       "expected " +
                           (def->maxOutputs() < 0 ? "at least " + std::to_string(def->minOutputs())
                                                  : std::to_string(def->minOutputs())) +
                           " outputs, found " + std::to_string(nout));
    for (size_t o = 0; o < node.outputs.size(); ++o) {
      declare(node.outputs[o], ValueKind::NodeOutput, int(n), int(o),
              pick(node.outputLocs, o, node.loc), node.name, node.op);
      out_[n].push_back(valueIndex_[node.outputs[o]]);
    }
  }
  // Inputs resolve after all producers are known (file order is free).
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    const Node& node = g.nodes[n];
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      int v = findValue(node.inputs[i]);
      if (v < 0) {
        std::string msg = "input '" + shortName(node.inputs[i]) +
                          "' is not produced by any node, input or param";
        if (node.inputs[i].find(':') != std::string::npos)
          msg += " (values are named, not indexed with ':')";
        throw GraphError(pick(node.inputLocs, i, node.loc), node.name, node.op,
                         msg);
      }
      in_[n].push_back(v);
      values_[v].consumers.emplace_back(int(n), int(i));
    }
  }
}

void Program::checkAttrs() {
  attrs_.resize(graph_.nodes.size());
  for (size_t n = 0; n < graph_.nodes.size(); ++n) {
    const Node& node = graph_.nodes[n];
    const OpDef& def = *ops_[n];
    auto& resolved = attrs_[n];
    for (const auto& [name, value] : node.attrs) {
      const AttrDef* a = def.findAttr(name);
      const SourceLoc& loc = value.loc.line > 0 ? value.loc : node.loc;
      if (!a) {
        std::vector<std::string> known;
        for (const AttrDef& k : def.attrs()) known.push_back(k.name);
        throw AttrError(loc, node.name, node.op,
                        "unknown attribute '" + shortName(name) + "'; " +
                            (known.empty() ? "this op takes no attributes"
                                           : "known: " + joinNames(known)));
      }
      AttrValue v = value;
      // An int literal is a valid float; a single int is a valid list.
      if (a->kind == AttrKind::Float && v.kind == AttrKind::Int)
        v = AttrValue::ofFloat(static_cast<float>(value.i)), v.loc = loc;
      if (a->kind == AttrKind::Ints && v.kind == AttrKind::Int)
        v = AttrValue::ofInts({value.i}), v.loc = loc;
      if (a->kind == AttrKind::Floats && v.kind == AttrKind::Float)
        v = AttrValue::ofFloats({value.f}), v.loc = loc;
      if (v.kind != a->kind)
        throw AttrError(loc, node.name, node.op,
                        "attribute '" + name + "' must be " +
                            attrKindName(a->kind) + ", found " +
                            attrKindName(value.kind) + " " + value.str());
      if (!a->choices.empty() &&
          std::find(a->choices.begin(), a->choices.end(), v.s) ==
              a->choices.end()) {
        throw AttrError(loc, node.name, node.op,
                        "attribute '" + name + "' must be one of " +
                            joinNames(a->choices) + ", found " + v.str());
      }
      resolved[name] = v;
    }
    for (const AttrDef& a : def.attrs()) {
      if (resolved.count(a.name)) continue;
      if (a.required)
        throw AttrError(node.loc, node.name, node.op,
                        "missing required attribute '" + a.name + "' (" +
                            attrKindName(a.kind) + ")");
      resolved[a.name] = a.defaultValue;
    }
    const int want = def.outputCountFor(resolved);
    if (want >= 0 && want != int(node.outputs.size()))
      throw GraphError(node.loc, node.name, node.op,
                       "its attributes give " + std::to_string(want) +
                           " outputs, the node lists " + std::to_string(node.outputs.size()));
  }
}

void Program::checkGraphStructure() {
  const Graph& g = graph_;
  std::set<std::pair<int, int>> unique;
  for (size_t n = 0; n < g.nodes.size(); ++n)
    for (int v : in_[n])
      if (values_[v].kind == ValueKind::NodeOutput)
        unique.emplace(values_[v].owner, int(n));
  edges_.assign(unique.begin(), unique.end());
  std::vector<int> cycle = findCycle(numNodes(), edges_);
  if (!cycle.empty()) {
    std::string path;
    for (size_t i = 0; i < cycle.size(); ++i)
      path += (i ? " -> '" : "'") + g.nodes[cycle[i]].name + "'";
    const Node& first = g.nodes[cycle.front()];
    throw GraphError(first.loc, "", "", "cycle: " + path);
  }
  order_ = topologicalOrder(numNodes(), edges_);
  auto resolve = [&](const std::string& name, const SourceLoc& loc,
                     const char* what) {
    int v = findValue(name);
    if (v < 0)
      throw GraphError(loc.line > 0 ? loc : g.loc, "", "",
                       std::string(what) + " '" + shortName(name) +
                           "' is not produced by any node, input or param");
    return v;
  };
  for (size_t i = 0; i < g.outputs.size(); ++i)
    outputs_.push_back(resolve(g.outputs[i], pick(g.outputLocs, i, g.loc),
                               "output"));
  if (!g.loss.empty()) loss_ = resolve(g.loss, g.lossLoc, "loss");
  if (!g.prediction.empty())
    prediction_ = resolve(g.prediction, g.predictionLoc, "prediction");
}

void Program::checkParams() {
  auto checkDims = [](const Dims& dims, const SourceLoc& loc,
                      const std::string& name, bool allowBatch) {
    if (dims.size() > size_t(kMaxRank))
      throw ShapeError(loc, "", "",
                       "'" + name + "' has rank " + std::to_string(dims.size()) +
                           ", the limit is " + std::to_string(kMaxRank));
    for (size_t i = 0; i < dims.size(); ++i) {
      bool batch = allowBatch && i == 0 && dims[i] == -1;
      if (dims[i] <= 0 && !batch)
        throw ShapeError(loc, "", "",
                         "'" + name + "' has dimension " +
                             std::to_string(dims[i]) + " at axis " +
                             std::to_string(i) + " in " + dimsStr(dims) +
                             "; dimensions must be positive" +
                             (allowBatch ? " (or -1 for the batch at axis 0)"
                                         : ""));
    }
    Dims concrete = dims;
    if (!concrete.empty() && concrete[0] == -1) concrete[0] = 1;
    if (checkedNumel(concrete) < 0)
      throw ShapeError(loc, "", "",
                       "'" + name + "' " + dimsStr(dims) +
                           " has more than 2^31-1 elements (element count "
                           "overflow)");
  };
  for (const InputDef& in : graph_.inputs) checkDims(in.dims, in.loc, in.name, true);
  for (const ParamDef& p : graph_.params) {
    checkDims(p.dims, p.loc, p.name, false);
    if (!p.data.empty() && int64_t(p.data.size()) != numel(p.dims))
      throw ShapeError(p.loc, "", "",
                       "param '" + p.name + "' " + dimsStr(p.dims) + " needs " +
                           std::to_string(numel(p.dims)) +
                           " values, found " + std::to_string(p.data.size()));
    checkParamNumbers(p);
    if (p.data.empty() && !findInitializer(p.init.kind))
      throw ParseError(p.init.loc.line > 0 ? p.init.loc : p.loc, "", "",
                       "param '" + p.name + "': unknown initializer '" +
                           shortName(p.init.kind) +
                           "'; known: " + initializerNames());
    if (p.data.empty()) validateInitializer(p, graph_.params);
  }
}

// Inputs an op updates in place (running statistics) must be constant
// params: a trainable one would also be moved by the optimizer, and a node
// output or graph input would be overwritten under its producer.
void Program::checkStateInputs() {
  for (size_t n = 0; n < graph_.nodes.size(); ++n) {
    const Node& node = graph_.nodes[n];
    const OpDef& def = *ops_[n];
    for (int i : def.stateInputsOf(attrs_[n], int(in_[n].size()))) {
      const ValueInfo& v = values_[in_[n][i]];
      const std::string port = def.inputPort(i).name;
      if (v.kind != ValueKind::Param)
        throw GraphError(pick(node.inputLocs, size_t(i), node.loc), node.name,
                         node.op,
                         "input '" + port + "' ('" + v.name +
                             "') is a running statistic the op updates in "
                             "place; it must be a param declared with "
                             "constant: true, found a " +
                             (v.kind == ValueKind::Input ? "graph input"
                                                         : "node output"));
      const ParamDef& param = graph_.params[v.owner];
      if (param.trainable)
        throw GraphError(param.loc, node.name, node.op,
                         "param '" + param.name + "' feeds input '" + port +
                             "', a running statistic the op updates in "
                             "place; it cannot be trainable: declare it with "
                             "constant: true");
    }
  }
}

std::vector<Dims> Program::runShapes(int64_t batch,
                                     std::vector<DType>* dtypes) const {
  std::vector<Dims> dims(values_.size());
  std::vector<DType> types(values_.size());
  for (size_t v = 0; v < values_.size(); ++v) {
    const ValueInfo& info = values_[v];
    types[v] = info.dtype;
    if (info.kind == ValueKind::Input) {
      dims[v] = graph_.inputs[info.owner].dims;
      if (!dims[v].empty() && dims[v][0] == -1) dims[v][0] = batch;
    } else if (info.kind == ValueKind::Param) {
      dims[v] = graph_.params[info.owner].dims;
    }
  }
  for (int n : order_) {
    const Node& node = graph_.nodes[n];
    const OpDef& def = *ops_[n];
    std::vector<Dims> inDims;
    std::vector<DType> inTypes;
    for (size_t i = 0; i < in_[n].size(); ++i) {
      int v = in_[n][i];
      const PortDef& port = def.inputPort(int(i));
      DType want = port.dtype.value_or(DType::F32);
      if (types[v] != want)
        throw ShapeError(pick(node.inputLocs, i, node.loc), node.name, node.op,
                         "input '" + port.name + "' ('" + values_[v].name +
                             "') must be " + dtypeName(want) + ", found " +
                             dtypeName(types[v]));
      inDims.push_back(dims[v]);
      inTypes.push_back(types[v]);
    }
    ShapeContext ctx(node, def, attrs_[n], std::move(inDims),
                     std::move(inTypes));
    def.shapeFn()(ctx);
    for (size_t o = 0; o < out_[n].size(); ++o) {
      if (o >= ctx.outputDims().size())
        throw ShapeError(node.loc, node.name, node.op,
                         "internal: shape function set no output " +
                             std::to_string(o));
      const Dims& d = ctx.outputDims()[o];
      if (d.size() > size_t(kMaxRank) || checkedNumel(d) < 0)
        throw ShapeError(node.loc, node.name, node.op,
                         "output " + dimsStr(d) +
                             " has more than 2^31-1 elements or rank above " +
                             std::to_string(kMaxRank));
      dims[out_[n][o]] = d;
      types[out_[n][o]] = ctx.outputDTypes()[o];
    }
  }
  if (dtypes) *dtypes = types;
  return dims;
}

void Program::inferShapes() {
  std::vector<DType> types;
  std::vector<Dims> a;
  try {
    a = runShapes(kProbeBatchA, &types);
  } catch (const Error& e) {
    // Shapes are inferred at a probe batch; say N where the file says -1.
    std::string atB;
    try {
      runShapes(kProbeBatchB, nullptr);
    } catch (const Error& eb) {
      if (eb.loc().line == e.loc().line && eb.node() == e.node())
        atB = eb.message();
    }
    if (atB.empty() || atB == e.message()) throw;
    std::string msg = batchAsN(e.message(), atB);
    if (dynamic_cast<const ShapeError*>(&e))
      throw ShapeError(e.loc(), e.node(), e.op(), msg);
    if (dynamic_cast<const AttrError*>(&e))
      throw AttrError(e.loc(), e.node(), e.op(), msg);
    if (dynamic_cast<const UnsupportedError*>(&e))
      throw UnsupportedError(e.loc(), e.node(), e.op(), msg);
    throw;
  }
  std::vector<Dims> b = runShapes(kProbeBatchB, nullptr);
  for (size_t v = 0; v < values_.size(); ++v) {
    values_[v].dtype = types[v];
    values_[v].dims = a[v];
    if (a[v].size() == b[v].size())
      for (size_t k = 0; k < a[v].size(); ++k)
        if (a[v][k] != b[v][k]) values_[v].dims[k] = -1;
  }
  if (loss_ >= 0) {
    const ValueInfo& l = values_[loss_];
    if (numel(a[loss_]) != 1 || l.dtype != DType::F32)
      throw GraphError(graph_.lossLoc.line > 0 ? graph_.lossLoc : graph_.loc,
                       "", "",
                       "loss '" + l.name + "' must be an f32 scalar, found " +
                           dtypeName(l.dtype) + " " + dimsStr(l.dims, true));
  }
}

std::vector<Dims> Program::dimsAt(int64_t batch) const {
  return runShapes(batch, nullptr);
}

int64_t Program::flopsPerSample(int n) const {
  const OpDef& def = *ops_.at(n);
  if (!def.flopsFn()) return 0;
  std::vector<Dims> inDims;
  std::vector<DType> inTypes;
  for (int v : in_[n]) {
    Dims d = values_[v].dims;
    for (auto& x : d)
      if (x == -1) x = 1;
    inDims.push_back(d);
    inTypes.push_back(values_[v].dtype);
  }
  ShapeContext ctx(graph_.nodes[n], def, attrs_[n], std::move(inDims),
                   std::move(inTypes));
  def.shapeFn()(ctx);
  return def.flopsFn()(ctx);
}

int64_t Program::paramCount(int param) const {
  return numel(graph_.params.at(param).dims);
}

}  // namespace tapeflow
