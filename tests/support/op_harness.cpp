// tests/support/op_harness.cpp - one-op graphs, forward runs, gradcheck.
#include "tests/support/op_harness.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <sstream>

#include "core/param_store.h"
#include "core/plan.h"
#include "core/program.h"
#include "ops/registry.h"

namespace tapeflow::testing {

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
      ParamDef p;
      p.name = name;
      p.dims = inputs[i].dims;
      p.data = inputs[i].data;
      g.params.push_back(p);
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
  return g;
}

namespace {

struct Runner {
  std::shared_ptr<const Program> program;
  std::unique_ptr<ParamStore> store;
  std::unique_ptr<Plan> plan;
  std::vector<std::string> f32Outputs;

  Runner(const std::string& op, const std::map<std::string, AttrValue>& attrs,
         const std::vector<HostTensor>& inputs, Mode mode) {
    const OpDef* def = ops::registry().find(op);
    int nout = def ? int(def->outputs().size()) : 1;
    program = Program::build(oneOpGraph(op, attrs, inputs, nout), ops::registry());
    store = std::make_unique<ParamStore>(program);
    store->initialize(0);
    PlanOptions opts;
    opts.mode = mode;
    opts.batch = 1;
    for (int o = 0; o < nout; ++o) {
      int v = program->findValue("out" + std::to_string(o));
      if (program->value(v).dtype == DType::F32)
        f32Outputs.push_back("out" + std::to_string(o));
    }
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

  std::vector<HostTensor> outputs() {
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
};

}  // namespace

std::vector<HostTensor> runOp(const std::string& op,
                              const std::map<std::string, AttrValue>& attrs,
                              const std::vector<HostTensor>& inputs,
                              bool training) {
  Runner r(op, attrs, inputs, training ? Mode::Training : Mode::Inference);
  r.plan->forward();
  return r.outputs();
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

GradCheckResult gradCheck(const std::string& op,
                          const std::map<std::string, AttrValue>& attrs,
                          const std::vector<HostTensor>& inputs,
                          const SampleCase& opts, uint64_t seed) {
  GradCheckResult res;
  Runner r(op, attrs, inputs, Mode::Training);
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
    std::vector<float> analytic = r.plan->readGrad(name);
    int param = -1;
    for (int p = 0; p < r.store->numParams(); ++p)
      if (r.store->def(p).name == name) param = p;
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
