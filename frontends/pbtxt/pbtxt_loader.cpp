// frontends/pbtxt/pbtxt_loader.cpp - reads graph files: text (.pbtxt) and
// binary (.pb) protobuf into the IR of core/graph.h, with source locations.
// Reading, syntax errors and string checks are core/text_proto; the writer
// is pbtxt_writer.cpp.
#include "frontends/pbtxt/pbtxt_loader.h"

#include "core/text_proto.h"
#include "frontends/pbtxt/graph.pb.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <utility>
#include <vector>

namespace tapeflow {
namespace {

namespace gpb = ::google::protobuf;
using Tree = gpb::TextFormat::ParseInfoTree;
using text_proto::advancePos;
using text_proto::checkString;
using text_proto::clip;
using text_proto::quoted;

/// The schema has at most three levels (graph > node > attr); the limit only
/// guards the parser's own recursion.
constexpr int kRecursionLimit = 100;

// ---------------------------------------------------------------------------
// Small helpers

const text_proto::ReadSpec& readSpec() {
  static const text_proto::ReadSpec spec = [] {
    text_proto::ReadSpec r;
    r.maxBytes = kMaxGraphFileBytes;
    r.tooLarge = "graph file too large: expected at most " +
                 std::to_string(kMaxGraphFileBytes) + " bytes (" +
                 std::to_string(kMaxGraphFileBytes >> 20) + " MiB)";
    return r;
  }();
  return spec;
}

const text_proto::ParseSpec& parseSpec() {
  static const text_proto::ParseSpec spec = [] {
    text_proto::ParseSpec p;
    p.recursionLimit = kRecursionLimit;
    p.nulHint =
        "this is not a text graph (binary graphs need the .pb extension)";
    p.cannotParse = "cannot parse the text graph";
    p.namesMessageType = true;
    return p;
  }();
  return spec;
}

/// While alive, protobuf log lines raised on this thread are kept in
/// `first` (the first one) instead of going to stderr as
/// "[libprotobuf ERROR ...]"; other threads keep the previous handler. The
/// handler is installed once per process.
class ProtobufLogCapture {
 public:
  ProtobufLogCapture() : outer_(sink_) {
    static std::once_flag once;
    std::call_once(once, [] { previous_ = gpb::SetLogHandler(&handle); });
    sink_ = this;
  }
  ~ProtobufLogCapture() { sink_ = outer_; }
  ProtobufLogCapture(const ProtobufLogCapture&) = delete;
  ProtobufLogCapture& operator=(const ProtobufLogCapture&) = delete;

  std::string first;

 private:
  static void handle(gpb::LogLevel level, const char* file, int line,
                     const std::string& message) {
    if (sink_) {
      if (sink_->first.empty()) sink_->first = message;
      return;
    }
    if (previous_) previous_(level, file, line, message);
  }

  ProtobufLogCapture* outer_;
  static inline thread_local ProtobufLogCapture* sink_ = nullptr;
  static inline gpb::LogHandler* previous_ = nullptr;
};

/// Why protobuf refused a binary graph, from the line it logged: the string
/// field holding invalid UTF-8, or malformed wire data.
std::string binaryParseFailure(const std::string& logged) {
  const std::string key = "String field '";
  size_t at = logged.find(key);
  if (at != std::string::npos && logged.find("UTF-8") != std::string::npos) {
    size_t start = at + key.size();
    size_t end = logged.find('\'', start);
    std::string field = logged.substr(start, end == std::string::npos
                                                 ? std::string::npos
                                                 : end - start);
    const std::string package = "tapeflow.proto.";
    if (field.rfind(package, 0) == 0) field.erase(0, package.size());
    return "not a valid binary graph: string field '" + clip(field) +
           "' is not valid UTF-8";
  }
  return "not a valid binary graph (malformed protobuf wire data)";
}

// ---------------------------------------------------------------------------
// Where each value starts
//
// ParseInfoTree records one location per occurrence of a field: for
// `input: ["a", "b"]` that is one location (the field name) for two values,
// and `node: [{...}, {...}]` likewise. The locator turns each recorded
// occurrence into one position per value by reading the occurrence's text.
// The text parsed successfully, so only brackets, braces, commas, strings and
// comments need recognising.

template <class M>
const gpb::FieldDescriptor* fieldOf(int number) {
  return M::descriptor()->FindFieldByNumber(number);
}

/// The fields the loader looks up, resolved once.
struct Fields {
  using G = proto::GraphDef;
  using I = proto::InputDef;
  using P = proto::ParamDef;
  using N = proto::NodeDef;
  using A = proto::AttrDef;
  const gpb::FieldDescriptor* graphName = fieldOf<G>(G::kNameFieldNumber);
  const gpb::FieldDescriptor* graphInput = fieldOf<G>(G::kInputFieldNumber);
  const gpb::FieldDescriptor* graphParam = fieldOf<G>(G::kParamFieldNumber);
  const gpb::FieldDescriptor* graphNode = fieldOf<G>(G::kNodeFieldNumber);
  const gpb::FieldDescriptor* graphOutput = fieldOf<G>(G::kOutputFieldNumber);
  const gpb::FieldDescriptor* graphLoss = fieldOf<G>(G::kLossFieldNumber);
  const gpb::FieldDescriptor* graphLossWeight = fieldOf<G>(G::kLossWeightFieldNumber);
  const gpb::FieldDescriptor* graphPrediction =
      fieldOf<G>(G::kPredictionFieldNumber);
  const gpb::FieldDescriptor* inputDtype = fieldOf<I>(I::kDtypeFieldNumber);
  const gpb::FieldDescriptor* paramDtype = fieldOf<P>(P::kDtypeFieldNumber);
  const gpb::FieldDescriptor* paramInit = fieldOf<P>(P::kInitFieldNumber);
  const gpb::FieldDescriptor* nodeName = fieldOf<N>(N::kNameFieldNumber);
  const gpb::FieldDescriptor* nodeOp = fieldOf<N>(N::kOpFieldNumber);
  const gpb::FieldDescriptor* nodeInput = fieldOf<N>(N::kInputFieldNumber);
  const gpb::FieldDescriptor* nodeOutput = fieldOf<N>(N::kOutputFieldNumber);
  const gpb::FieldDescriptor* nodeAttr = fieldOf<N>(N::kAttrFieldNumber);
  const gpb::FieldDescriptor* attrI = fieldOf<A>(A::kIFieldNumber);
  const gpb::FieldDescriptor* attrF = fieldOf<A>(A::kFFieldNumber);
  const gpb::FieldDescriptor* attrS = fieldOf<A>(A::kSFieldNumber);
  const gpb::FieldDescriptor* attrInts = fieldOf<A>(A::kIntsFieldNumber);
  const gpb::FieldDescriptor* attrFloats = fieldOf<A>(A::kFloatsFieldNumber);
};

const Fields& fields() {
  static const Fields f;
  return f;
}

struct Pos {
  int line = -1;  // 0-based, as protobuf reports
  int col = -1;
};

struct LocRequest {
  Pos start;     // the field name, from the ParseInfoTree
  bool message;  // a message field (its position is its name or its `{`)
  std::vector<Pos>* out;
};

class ValueLocator {
 public:
  explicit ValueLocator(const std::string& text) : t_(text) {}

  /// Requests must come in file order.
  void locate(const LocRequest& r) {
    if (!seek(r.start)) return;
    Cursor c = base_;
    Pos name = c.pos();
    while (c.i < t_.size() && (std::isalnum(uc(t_[c.i])) || t_[c.i] == '_'))
      c.step(t_);
    skipSpace(c);
    if (peek(c) == ':') {
      c.step(t_);
      skipSpace(c);
    }
    if (peek(c) != '[') {
      r.out->push_back(r.message ? name : c.pos());
      return;
    }
    c.step(t_);
    for (;;) {
      skipSpace(c);
      char ch = peek(c);
      if (ch == ']' || ch == 0) return;
      r.out->push_back(c.pos());
      if (ch == '{' || ch == '<')
        skipMessage(c);
      else
        skipScalar(c);
      skipSpace(c);
      if (peek(c) != ',') return;
      c.step(t_);
    }
  }

 private:
  struct Cursor {
    size_t i = 0;
    int line = 0, col = 0;
    Pos pos() const { return Pos{line, col}; }
    void step(const std::string& t) { advancePos(t[i++], line, col); }
  };

  static int uc(char c) { return static_cast<unsigned char>(c); }
  char peek(const Cursor& c) const { return c.i < t_.size() ? t_[c.i] : 0; }

  bool seek(Pos p) {
    auto before = [&](const Cursor& c) {
      return c.line < p.line || (c.line == p.line && c.col < p.col);
    };
    while (base_.i < t_.size() && before(base_)) base_.step(t_);
    return base_.line == p.line && base_.col == p.col;
  }

  void skipSpace(Cursor& c) const {
    while (c.i < t_.size()) {
      char ch = t_[c.i];
      if (ch == '#') {
        while (c.i < t_.size() && t_[c.i] != '\n') c.step(t_);
      } else if (std::isspace(uc(ch))) {
        c.step(t_);
      } else {
        return;
      }
    }
  }

  void skipString(Cursor& c) const {
    char q = t_[c.i];
    c.step(t_);
    while (c.i < t_.size() && t_[c.i] != '\n') {
      char ch = t_[c.i];
      c.step(t_);
      if (ch == q) return;
      if (ch == '\\' && c.i < t_.size() && t_[c.i] != '\n') c.step(t_);
    }
  }

  void skipScalar(Cursor& c) const {
    for (;;) {
      skipSpace(c);
      char ch = peek(c);
      if (ch == 0 || ch == ',' || ch == ']') return;
      if (ch == '"' || ch == '\'')
        skipString(c);
      else
        c.step(t_);
    }
  }

  void skipMessage(Cursor& c) const {
    size_t depth = 0;
    while (c.i < t_.size()) {
      char ch = t_[c.i];
      if (ch == '"' || ch == '\'') {
        skipString(c);
        continue;
      }
      if (ch == '#') {
        skipSpace(c);
        continue;
      }
      if (ch == '{' || ch == '<') ++depth;
      if (ch == '}' || ch == '>') --depth;
      c.step(t_);
      if (depth == 0) return;
    }
  }

  const std::string& t_;
  Cursor base_;
};

/// Value positions of one parsed text, mirroring the GraphDef.
struct NodePositions {
  std::vector<Pos> input, output, attr;
};
struct GraphPositions {
  std::vector<Pos> input, param, node, output, loss, prediction;
  std::vector<NodePositions> nodes;
};

void request(const Tree* tree, const gpb::FieldDescriptor* f,
             std::vector<Pos>* out, std::vector<LocRequest>* reqs) {
  if (!tree) return;
  bool message = f->cpp_type() == gpb::FieldDescriptor::CPPTYPE_MESSAGE;
  if (!f->is_repeated()) {
    gpb::TextFormat::ParseLocation l = tree->GetLocation(f, -1);
    if (l.line >= 0) reqs->push_back({{l.line, l.column}, message, out});
    return;
  }
  for (int k = 0;; ++k) {
    gpb::TextFormat::ParseLocation l = tree->GetLocation(f, k);
    if (l.line < 0) return;
    reqs->push_back({{l.line, l.column}, message, out});
  }
}

GraphPositions locateValues(const std::string& text, const proto::GraphDef& def,
                            const Tree& tree) {
  const Fields& f = fields();
  GraphPositions gp;
  gp.nodes.resize(static_cast<size_t>(def.node_size()));
  std::vector<LocRequest> reqs;
  request(&tree, f.graphInput, &gp.input, &reqs);
  request(&tree, f.graphParam, &gp.param, &reqs);
  request(&tree, f.graphNode, &gp.node, &reqs);
  request(&tree, f.graphOutput, &gp.output, &reqs);
  request(&tree, f.graphLoss, &gp.loss, &reqs);
  request(&tree, f.graphPrediction, &gp.prediction, &reqs);
  for (int k = 0; k < def.node_size(); ++k) {
    const Tree* nt = tree.GetTreeForNested(f.graphNode, k);
    NodePositions& np = gp.nodes[static_cast<size_t>(k)];
    request(nt, f.nodeInput, &np.input, &reqs);
    request(nt, f.nodeOutput, &np.output, &reqs);
    request(nt, f.nodeAttr, &np.attr, &reqs);
  }
  std::stable_sort(
      reqs.begin(), reqs.end(), [](const LocRequest& a, const LocRequest& b) {
        return a.start.line != b.start.line ? a.start.line < b.start.line
                                            : a.start.col < b.start.col;
      });
  ValueLocator locator(text);
  for (const LocRequest& r : reqs) locator.locate(r);
  return gp;
}

// ---------------------------------------------------------------------------
// GraphDef -> Graph

bool before(const SourceLoc& a, const SourceLoc& b) {
  return a.line != b.line ? a.line < b.line : a.col < b.col;
}

class Converter {
 public:
  Converter(std::string file, const Tree* tree, const GraphPositions* pos)
      : file_(std::move(file)), tree_(tree), pos_(pos) {}

  Graph convert(const proto::GraphDef& def) {
    const Fields& f = fields();
    Graph g;
    g.file = file_;
    g.loc = fileLoc();
    g.formatVersion = def.has_format_version() ? def.format_version() : 1;
    if (g.formatVersion > kGraphFormatVersion || g.formatVersion < 1)
      throw ParseError(g.loc, "", "",
                       "format_version " + std::to_string(g.formatVersion) +
                           " is not supported (this runtime reads versions "
                           "1 to " +
                           std::to_string(kGraphFormatVersion) +
                           "); upgrade tapeflow or re-export the graph");
    g.name = def.name();
    checkString(g.name, field(tree_, f.graphName, g.loc), "graph name");

    for (int k = 0; k < def.input_size(); ++k) {
      const proto::InputDef& d = def.input(k);
      const Tree* t = nested(tree_, f.graphInput, k);
      InputDef in;
      in.loc = at(pos_ ? &pos_->input : nullptr, k, def.input_size(), g.loc);
      in.name = d.name();
      checkString(in.name, in.loc, "input name");
      in.dims.assign(d.shape().begin(), d.shape().end());
      if (d.has_dtype())
        in.dtype = dtype(d.dtype(), field(t, f.inputDtype, in.loc),
                         "input " + quoted(in.name));
      g.inputs.push_back(std::move(in));
    }

    for (int k = 0; k < def.param_size(); ++k) {
      const proto::ParamDef& d = def.param(k);
      const Tree* t = nested(tree_, f.graphParam, k);
      ParamDef p;
      p.loc = at(pos_ ? &pos_->param : nullptr, k, def.param_size(), g.loc);
      p.name = d.name();
      checkString(p.name, p.loc, "param name");
      p.dims.assign(d.shape().begin(), d.shape().end());
      p.trainable = !d.constant();
      p.data.assign(d.data().begin(), d.data().end());
      if (d.has_dtype())
        p.dtype = dtype(d.dtype(), field(t, f.paramDtype, p.loc),
                        "param " + quoted(p.name));
      if (d.has_init()) {
        const proto::InitDef& i = d.init();
        p.init.loc = field(t, f.paramInit, p.loc);
        if (i.kind().empty())
          throw ParseError(p.init.loc, "", "",
                           "param " + quoted(p.name) +
                               ": init has no kind (e.g. kind: \"zeros\")");
        p.init.kind = i.kind();
        checkString(p.init.kind, p.init.loc, "initializer kind");
        p.init.value = i.value();
        p.init.low = i.low();
        p.init.high = i.high();
        p.init.mean = i.mean();
        p.init.stddev = i.stddev();
        p.init.fanIn = i.fan_in();
        if (i.has_a()) p.init.a = i.a();
        if (i.has_b()) p.init.b = i.b();
        if (i.has_gain()) p.init.gain = i.gain();
        p.init.mode = i.mode();
        p.init.nonlinearity = i.nonlinearity();
        p.init.weight = i.weight();
      } else {
        p.init.loc = p.loc;
      }
      g.params.push_back(std::move(p));
    }

    for (int k = 0; k < def.node_size(); ++k)
      g.nodes.push_back(
          node(def.node(k), nested(tree_, f.graphNode, k),
               pos_ ? &pos_->nodes[size_t(k)] : nullptr,
               at(pos_ ? &pos_->node : nullptr, k, def.node_size(), g.loc)));

    for (int k = 0; k < def.output_size(); ++k) {
      SourceLoc l =
          at(pos_ ? &pos_->output : nullptr, k, def.output_size(), g.loc);
      checkString(def.output(k), l, "graph output name");
      g.outputs.push_back(def.output(k));
      if (pos_) g.outputLocs.push_back(l);
    }
    g.lossLoc = g.loc;
    for (int k = 0; k < def.loss_size(); ++k) {
      SourceLoc l = at(pos_ ? &pos_->loss : nullptr, k, def.loss_size(), g.loc);
      checkString(def.loss(k), l, "loss name");
      if (k == 0) {
        g.loss = def.loss(0);
        g.lossLoc = l;
      }
      if (def.loss_size() > 1 || def.loss_weight_size() > 0)
        g.losses.push_back({def.loss(k), 1.f, l});
    }
    if (def.loss_weight_size() > 0) {
      SourceLoc l = field(tree_, f.graphLossWeight, g.loc);
      if (def.loss_weight_size() != def.loss_size())
        throw ParseError(l, "", "",
                         "loss_weight has " + std::to_string(def.loss_weight_size()) +
                             " values for " + std::to_string(def.loss_size()) +
                             " losses; give one weight per loss, in order");
      for (int k = 0; k < def.loss_weight_size(); ++k)
        g.losses[size_t(k)].weight = def.loss_weight(k);
    }
    g.prediction = def.prediction();
    g.predictionLoc = at(pos_ ? &pos_->prediction : nullptr, 0,
                         def.has_prediction() ? 1 : 0, g.loc);
    checkString(g.prediction, g.predictionLoc, "prediction name");
    return g;
  }

 private:
  SourceLoc fileLoc() const { return SourceLoc{file_, 0, 0}; }
  SourceLoc loc(int line, int col) const {
    return SourceLoc{file_, line + 1, col + 1};
  }

  /// The position of value k of a field with `count` values. The positions
  /// are trusted only when there is one per value.
  SourceLoc at(const std::vector<Pos>* v, int k, int count,
               const SourceLoc& fallback) const {
    if (!v || v->size() != static_cast<size_t>(count) || k >= count)
      return fallback;
    const Pos& p = (*v)[static_cast<size_t>(k)];
    return loc(p.line, p.col);
  }

  /// The name position of a singular field inside one element.
  SourceLoc field(const Tree* t, const gpb::FieldDescriptor* f,
                  const SourceLoc& fallback) const {
    return text_proto::fieldLoc(t, f, file_, fallback);
  }

  static const Tree* nested(const Tree* t, const gpb::FieldDescriptor* f,
                            int k) {
    return t ? t->GetTreeForNested(f, k) : nullptr;
  }

  static DType dtype(int v, const SourceLoc& l, const std::string& what) {
    switch (v) {
      case proto::F32:
        return DType::F32;
      case proto::I32:
        return DType::I32;
      case proto::DT_INVALID:
        throw ParseError(l, "", "",
                         what +
                             ": dtype DT_INVALID is not allowed; expected "
                             "one of F32, I32");
      default:
        throw ParseError(l, "", "",
                         what + ": unknown dtype " + std::to_string(v) +
                             "; expected one of F32, I32");
    }
  }

  Node node(const proto::NodeDef& d, const Tree* t, const NodePositions* np,
            SourceLoc nodeLoc) const {
    const Fields& f = fields();
    Node n;
    n.loc = std::move(nodeLoc);
    n.name = d.name();
    n.op = d.op();
    checkString(n.name, field(t, f.nodeName, n.loc), "node name");
    // Names in messages are clipped (a name may be megabytes long).
    const std::string who = clip(n.name), op = clip(n.op);
    checkString(n.op, field(t, f.nodeOp, n.loc), "op name", who);
    for (int k = 0; k < d.input_size(); ++k) {
      SourceLoc l = at(np ? &np->input : nullptr, k, d.input_size(), n.loc);
      checkString(d.input(k), l, "input name", who, op);
      n.inputs.push_back(d.input(k));
      if (np) n.inputLocs.push_back(l);
    }
    for (int k = 0; k < d.output_size(); ++k) {
      SourceLoc l = at(np ? &np->output : nullptr, k, d.output_size(), n.loc);
      checkString(d.output(k), l, "output name", who, op);
      n.outputs.push_back(d.output(k));
      if (np) n.outputLocs.push_back(l);
    }
    for (int k = 0; k < d.attr_size(); ++k) {
      SourceLoc l = at(np ? &np->attr : nullptr, k, d.attr_size(), n.loc);
      attr(d.attr(k), nested(t, f.nodeAttr, k), l, who, op, n);
    }
    return n;
  }

  void attr(const proto::AttrDef& d, const Tree* t, const SourceLoc& l,
            const std::string& who, const std::string& op, Node& n) const {
    const Fields& f = fields();
    if (d.name().empty()) throw ParseError(l, who, op, "attribute has no name");
    const std::string& name = d.name();
    checkString(name, l, "attribute name", who, op);
    auto prev = n.attrs.find(name);
    if (prev != n.attrs.end())
      throw ParseError(
          l, who, op,
          "attribute " + quoted(name) + " given twice" +
              (prev->second.loc.line > 0
                   ? " (first at line " +
                         std::to_string(prev->second.loc.line) + ")"
                   : ""));

    struct Given {
      const gpb::FieldDescriptor* field;
      SourceLoc loc;
    };
    std::vector<Given> given;
    auto note = [&](const gpb::FieldDescriptor* fd) {
      given.push_back({fd, field(t, fd, l)});
    };
    AttrValue v;
    switch (d.value_case()) {
      case proto::AttrDef::kI:
        note(f.attrI);
        v = AttrValue::ofInt(d.i());
        break;
      case proto::AttrDef::kF:
        note(f.attrF);
        v = AttrValue::ofFloat(d.f());
        break;
      case proto::AttrDef::kS:
        note(f.attrS);
        checkString(d.s(), given.back().loc,
                    "attribute " + quoted(name) + " value", who, op);
        v = AttrValue::ofString(d.s());
        break;
      case proto::AttrDef::VALUE_NOT_SET:
        break;
    }
    // `ints: []` leaves no value behind, only its location.
    auto written = [&](const gpb::FieldDescriptor* fd, int size) {
      return size > 0 || (t && t->GetLocation(fd, 0).line >= 0);
    };
    if (written(f.attrInts, d.ints_size())) {
      note(f.attrInts);
      v = AttrValue::ofInts({d.ints().begin(), d.ints().end()});
    }
    if (written(f.attrFloats, d.floats_size())) {
      note(f.attrFloats);
      v = AttrValue::ofFloats({d.floats().begin(), d.floats().end()});
    }
    if (given.empty())
      throw ParseError(l, who, op,
                       "attribute " + quoted(name) +
                           " has no value; expected one of i, f, s, ints, "
                           "floats");
    if (given.size() > 1) {
      std::stable_sort(
          given.begin(), given.end(),
          [](const Given& a, const Given& b) { return before(a.loc, b.loc); });
      throw ParseError(
          given[1].loc, who, op,
          "attribute " + quoted(name) + " has more than one value (" +
              given[0].field->name() + " and " + given[1].field->name() +
              "); expected exactly one of i, f, s, ints, floats");
    }
    v.loc = l;
    n.attrs.emplace(name, std::move(v));
  }

  std::string file_;
  const Tree* tree_;
  const GraphPositions* pos_;
};

}  // namespace

// ---------------------------------------------------------------------------
// Public entry points

Graph parseGraphText(const std::string& text, const std::string& fileName) {
  proto::GraphDef def;
  ProtobufLogCapture log;  // nothing to stderr
  Tree tree;
  text_proto::parseText(text, fileName, parseSpec(), &def, &tree);
  GraphPositions pos = locateValues(text, def, tree);
  return Converter(fileName, &tree, &pos).convert(def);
}

Graph parseGraphBinary(const std::string& bytes, const std::string& fileName) {
  proto::GraphDef def;
  ProtobufLogCapture log;
  if (!def.ParseFromString(bytes))
    throw ParseError(SourceLoc{fileName, 0, 0}, "", "",
                     binaryParseFailure(log.first));
  // Unknown fields mean another schema or random bytes that happened to
  // decode; either way not a graph this runtime can read faithfully.
  size_t size = def.ByteSizeLong();
  def.DiscardUnknownFields();
  if (def.ByteSizeLong() != size)
    throw ParseError(SourceLoc{fileName, 0, 0}, "", "",
                     "not a valid binary graph (fields unknown to this "
                     "schema)");
  return Converter(fileName, nullptr, nullptr).convert(def);
}

Graph loadGraphFile(const std::string& path) {
  std::string data = text_proto::readFileCapped(path, readSpec());
  if (path.size() >= 3 && path.compare(path.size() - 3, 3, ".pb") == 0)
    return parseGraphBinary(data, path);
  return parseGraphText(data, path);
}

}  // namespace tapeflow
