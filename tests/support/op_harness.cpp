// tests/support/op_harness.cpp - host tensors, graphs built in code, the
// ToLayout test op, plans, one-op runs and the gradient check.
#include "tests/support/op_harness.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <sstream>

#include "ops/op_kit.h"
#include "ops/registry.h"

namespace tapeflow::testing {

// ---------------------------------------------------------------- tensors

HostTensor randomTensor(const Dims& dims, uint64_t seed, float low, float high,
                        bool distinct) {
  HostTensor t;
  t.dims = dims;
  int64_t n = numel(dims);
  t.data.resize(n);
  Rng rng(seed * 7919 + 17);
  if (distinct) {
    std::vector<int64_t> perm(n);
    std::iota(perm.begin(), perm.end(), 0);
    for (int64_t i = n - 1; i > 0; --i)
      std::swap(perm[i], perm[rng.next() % uint64_t(i + 1)]);
    for (int64_t i = 0; i < n; ++i)
      t.data[i] = low + (high - low) * (float(perm[i]) + 0.5f) / float(n);
  } else {
    for (auto& x : t.data) x = low + (high - low) * rng.uniform();
  }
  return t;
}

HostTensor randomLabels(const Dims& dims, uint64_t seed, int range) {
  HostTensor t;
  t.dims = dims;
  t.dtype = DType::I32;
  t.data.resize(numel(dims));
  Rng rng(seed * 31 + 5);
  for (auto& x : t.data) x = float(rng.next() % uint64_t(range));
  return t;
}

std::vector<HostTensor> sampleInputs(const SampleCase& c, uint64_t seed) {
  std::vector<HostTensor> in;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    DType t = i < c.dtypes.size() ? c.dtypes[i] : DType::F32;
    if (t == DType::I32)
      in.push_back(randomLabels(c.inputs[i], seed + i, c.intRange));
    else
      in.push_back(randomTensor(c.inputs[i], seed + i, c.low, c.high,
                                c.distinctInputs));
  }
  return in;
}

// ----------------------------------------------------------------- graphs

ParamDef paramOf(const std::string& name, const HostTensor& t) {
  ParamDef p;
  p.name = name;
  p.dims = t.dims;
  p.data = t.data;
  return p;
}

Node nodeOf(const std::string& name, const std::string& op,
            std::vector<std::string> inputs, const std::string& output,
            std::map<std::string, AttrValue> attrs) {
  Node n;
  n.name = name;
  n.op = op;
  n.inputs = std::move(inputs);
  n.outputs = {output};
  n.attrs = std::move(attrs);
  return n;
}

Graph oneOpGraph(const std::string& op,
                 const std::map<std::string, AttrValue>& attrs,
                 const std::vector<HostTensor>& inputs, int numOutputs) {
  Graph g;
  g.name = "one_" + op;
  g.file = "<test>";
  Node node;
  node.name = "node";
  node.op = op;
  node.attrs = attrs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::string name = "in" + std::to_string(i);
    if (inputs[i].dtype == DType::F32) {
      g.params.push_back(paramOf(name, inputs[i]));
    } else {
      InputDef in;
      in.name = name;
      in.dtype = inputs[i].dtype;
      in.dims = inputs[i].dims;
      g.inputs.push_back(in);
    }
    node.inputs.push_back(name);
  }
  for (int o = 0; o < numOutputs; ++o) {
    node.outputs.push_back("out" + std::to_string(o));
    g.outputs.push_back("out" + std::to_string(o));
  }
  g.nodes.push_back(node);
  // Running statistics are constants (the loader requires it).
  if (const OpDef* def = ops::registry().find(op)) {
    std::map<std::string, AttrValue> resolved = attrs;
    for (const AttrDef& a : def->attrs())
      resolved.emplace(a.name, a.defaultValue);
    for (int i : def->stateInputsOf(resolved, int(inputs.size())))
      for (ParamDef& p : g.params)
        if (p.name == "in" + std::to_string(i)) p.trainable = false;
  }
  return g;
}

const OpDef& toLayoutOp() {
  struct State {
    dnnl::reorder fwd;
    size_t bytes = 0;
  };
  static const OpDef def = [] {
    OpDef d("ToLayout");
    d.input("src").output("dst").doc("test only: src in the format tag `tag`");
    d.attr("tag", AttrValue::ofInt(int64_t(dnnl::memory::format_tag::nChw8c)));
    d.shapes([](ShapeContext& ctx) { ctx.setOutput(0, ctx.inputDims(0)); });
    d.prepare([](PrepareContext& ctx) {
      dnnl::memory::desc md(ops::toDnnl(ctx.inputDims(0)), ops::dt::f32,
                            dnnl::memory::format_tag(ctx.attrInt("tag")));
      auto& st = ctx.makeState<State>();
      st.fwd = dnnl::reorder(dnnl::reorder::primitive_desc(
          ctx.engine(), ctx.inputDesc(0), ctx.engine(), md));
      st.bytes = md.get_size();
      ctx.setOutputDesc(0, md);
      if (ctx.needsGrad(0)) ctx.setGradInputDesc(0, md);
    });
    d.forward([](ExecContext& ctx) {
      ctx.state<State>().fwd.execute(
          ctx.stream(),
          {{DNNL_ARG_FROM, ctx.input(0)}, {DNNL_ARG_TO, ctx.output(0)}});
    });
    d.backward([](GradContext& ctx) {
      // The gradient stays in the output's layout (setGradInputDesc).
      if (ctx.needsGrad(0))
        std::memcpy(ctx.gradInput(0).get_data_handle(),
                    ctx.gradOutput(0).get_data_handle(),
                    ctx.state<State>().bytes);
    });
    return d;
  }();
  return def;
}

const OpRegistry& testRegistry() {
  static const OpRegistry reg = [] {
    OpRegistry r;
    for (const auto& [name, def] : ops::registry().all()) r.add(*def);
    r.add(toLayoutOp());
    return r;
  }();
  return reg;
}

void insertLayout(Graph& g, size_t node, size_t input,
                  dnnl::memory::format_tag tag) {
  std::string& in = g.nodes[node].inputs[input];
  std::string suffix = std::to_string(node) + "_" + std::to_string(input);
  Node layout =
      nodeOf("layout" + suffix, "ToLayout", {in}, "layout_out" + suffix,
             {{"tag", AttrValue::ofInt(int64_t(tag))}});
  in = layout.outputs[0];
  g.nodes.push_back(layout);
}

// ------------------------------------------------------------------ plans

GraphPlan::GraphPlan(const Graph& g)
    : program(Program::build(g, testRegistry())),
      store(std::make_unique<ParamStore>(program)) {
  store->initialize(0);
}

GraphPlan::GraphPlan(const Graph& g, const PlanOptions& opts) : GraphPlan(g) {
  plan = std::make_unique<Plan>(program, *store, opts);
}

std::vector<float> GraphPlan::param(const std::string& name) const {
  for (int p = 0; p < store->numParams(); ++p)
    if (store->def(p).name == name)
      return std::vector<float>(store->data(p),
                                store->data(p) + store->size(p));
  return {};
}

namespace {

}  // namespace

int outputCount(const std::string& op, const std::map<std::string, AttrValue>& attrs) {
  const OpDef* def = ops::registry().find(op);
  if (!def) return 1;
  int n = def->outputCountFor(attrs);
  return n >= 0 ? n : def->minOutputs();
}

namespace {

Graph oneOpPlanGraph(const std::string& op,
                     const std::map<std::string, AttrValue>& attrs,
                     const std::vector<HostTensor>& inputs,
                     const std::vector<int>& constants,
                     const std::map<int, dnnl::memory::format_tag>& layouts) {
  Graph g = oneOpGraph(op, attrs, inputs, outputCount(op, attrs));
  for (int i : constants)
    for (ParamDef& p : g.params)
      if (p.name == "in" + std::to_string(i)) p.trainable = false;
  for (auto [i, tag] : layouts) insertLayout(g, 0, size_t(i), tag);
  return g;
}

}  // namespace

OneOpPlan::OneOpPlan(const std::string& op,
                     const std::map<std::string, AttrValue>& attrs,
                     const std::vector<HostTensor>& inputs, Mode mode,
                     const std::vector<int>& constants,
                     const std::map<int, dnnl::memory::format_tag>& layouts)
    : GraphPlan(oneOpPlanGraph(op, attrs, inputs, constants, layouts)) {
  for (int v : program->outputValues())
    if (program->value(v).dtype == DType::F32)
      f32Outputs.push_back(program->value(v).name);
  PlanOptions opts;
  opts.mode = mode;
  opts.batch = 1;
  if (mode == Mode::Training) opts.gradTargets = f32Outputs;
  plan = std::make_unique<Plan>(program, *store, opts);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].dtype != DType::I32) continue;
    auto& m = plan->inputMemory("in" + std::to_string(i));
    int32_t* dst = static_cast<int32_t*>(m.get_data_handle());
    for (size_t k = 0; k < inputs[i].data.size(); ++k)
      dst[k] = int32_t(inputs[i].data[k]);
  }
}

std::vector<float> OneOpPlan::param(int input) const {
  return param("in" + std::to_string(input));
}

std::map<int, std::vector<float>> OneOpPlan::gradients(
    const std::vector<int>& wanted, std::vector<float> seed) {
  plan->forward();
  if (seed.empty())
    seed.assign(numel(plan->dims(program->findValue("out0"))), 1.f);
  plan->seedGrad("out0", seed.data());
  plan->backward();
  std::map<int, std::vector<float>> out;
  for (int i : wanted) out[i] = plan->readGrad("in" + std::to_string(i));
  return out;
}

dnnl::memory::desc OneOpPlan::outputDesc() const {
  return plan->desc(program->findValue("out0"));
}

std::vector<HostTensor> OneOpPlan::outputs() const {
  std::vector<HostTensor> out;
  for (int v : program->outputValues()) {
    HostTensor t;
    t.dims = plan->dims(v);
    t.dtype = program->value(v).dtype;
    t.data = plan->readValue(v);
    out.push_back(t);
  }
  return out;
}

// ------------------------------------------------------------------- runs

std::vector<HostTensor> runOp(const std::string& op,
                              const std::map<std::string, AttrValue>& attrs,
                              const std::vector<HostTensor>& inputs,
                              bool training) {
  OneOpPlan p(op, attrs, inputs, training ? Mode::Training : Mode::Inference);
  p.plan->forward();
  return p.outputs();
}

LayoutRun runWithLayout(const std::string& op,
                        const std::map<std::string, AttrValue>& attrs,
                        const std::vector<HostTensor>& inputs,
                        const std::vector<bool>& blocked,
                        dnnl::memory::format_tag tag,
                        const std::vector<float>& seed, bool training) {
  std::map<int, dnnl::memory::format_tag> layouts;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (blocked[i]) layouts[int(i)] = tag;
  OneOpPlan p(op, attrs, inputs, training ? Mode::Training : Mode::Inference,
              {}, layouts);
  LayoutRun run;
  if (training) {
    std::vector<int> all(inputs.size());
    std::iota(all.begin(), all.end(), 0);
    for (auto& [i, grad] : p.gradients(all, seed)) run.grads.push_back(grad);
  } else {
    p.plan->forward();
  }
  run.output = p.plan->readValue("out0");
  run.outputDesc = p.outputDesc();
  for (int n = 0; n < p.program->numNodes(); ++n)
    if (p.program->op(n).name() == op) {
      run.impl = p.plan->nodeInfo(n).impl;
      run.reorders = p.plan->nodeInfo(n).reorders;
    }
  return run;
}

GraphRun runGraph(Graph g, uint64_t seed) {
  g.file = "<test>";
  PlanOptions opts;
  opts.mode = Mode::Training;
  opts.gradTargets = g.outputs;
  GraphPlan p(g, opts);
  p.plan->forward();
  GraphRun run;
  for (size_t k = 0; k < g.outputs.size(); ++k) {
    const std::string& name = g.outputs[k];
    int v = p.program->findValue(name);
    run.values[name] = p.plan->readValue(v);
    run.dims[name] = p.plan->dims(v);
    run.descs[name] = p.plan->desc(v);
    run.seeds[name] = randomTensor(p.plan->dims(v), seed + k).data;
    p.plan->seedGrad(name, run.seeds[name].data());
  }
  p.plan->backward();
  for (const ParamDef& param : g.params)
    run.grads[param.name] = p.plan->readGrad(param.name);
  return run;
}

// -------------------------------------------------------- gradient check

GradCheckResult gradCheck(const std::string& op,
                          const std::map<std::string, AttrValue>& attrs,
                          const std::vector<HostTensor>& inputs,
                          const SampleCase& opts, uint64_t seed) {
  GradCheckResult res;
  OneOpPlan r(op, attrs, inputs, Mode::Training);
  // Fixed random weights r for the objective sum(r * y).
  std::map<std::string, std::vector<float>> weights;
  for (size_t k = 0; k < r.f32Outputs.size(); ++k) {
    int v = r.program->findValue(r.f32Outputs[k]);
    weights[r.f32Outputs[k]] =
        randomTensor(r.plan->dims(v), seed + 101 + k, -1.f, 1.f).data;
  }
  auto objective = [&]() {
    r.plan->forward();
    double f = 0;
    for (auto& [name, w] : weights) {
      std::vector<float> y = r.plan->readValue(name);
      for (size_t i = 0; i < y.size(); ++i) f += double(w[i]) * y[i];
    }
    return f;
  };
  objective();
  for (auto& [name, w] : weights) r.plan->seedGrad(name, w.data());
  r.plan->backward();
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].dtype != DType::F32) continue;
    const OpDef* def = ops::registry().find(op);
    if (!def->inputPort(int(i)).differentiable) continue;
    std::string name = "in" + std::to_string(i);
    int param = -1;
    for (int p = 0; p < r.store->numParams(); ++p)
      if (r.store->def(p).name == name) param = p;
    if (!r.store->def(param).trainable) continue;  // running statistics
    std::vector<float> analytic = r.plan->readGrad(name);
    float* x = r.store->data(param);
    int64_t n = int64_t(analytic.size());
    std::vector<int64_t> idx(n);
    std::iota(idx.begin(), idx.end(), 0);
    if (n > 1000) {
      Rng rng(seed + i);
      for (int64_t k = 0; k < 1000; ++k)
        std::swap(idx[k], idx[k + int64_t(rng.next() % uint64_t(n - k))]);
      idx.resize(1000);
    }
    for (int64_t j : idx) {
      float x0 = x[j];
      if (opts.kinkRange >= 0 &&
          std::fabs(x0 - opts.kink) < opts.kinkRange + opts.step)
        continue;
      x[j] = x0 + opts.step;
      double fp = objective();
      x[j] = x0 - opts.step;
      double fm = objective();
      x[j] = x0;
      double numeric = (fp - fm) / (2.0 * opts.step);
      double a = analytic[j];
      double scale = std::max({std::fabs(a), std::fabs(numeric), 1.0});
      double err = std::fabs(a - numeric) / scale;
      res.worst = std::max(res.worst, err);
      res.checked++;
      if (err > opts.tolerance && res.ok) {
        res.ok = false;
        std::ostringstream os;
        os << op << " input " << i << " flat index " << j << ": value " << x0
           << ", analytic " << a << ", numeric " << numeric << " (f+ " << fp
           << ", f- " << fm << ", step " << opts.step << ", seed " << seed
           << ")";
        res.report = os.str();
      }
    }
  }
  return res;
}

}  // namespace tapeflow::testing
