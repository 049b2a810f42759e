// bench/bench_support.cpp - one-op graphs, prepared plans, random inputs,
// counters and labels for tapeflow_bench; also its main().
#include "bench/bench_support.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <exception>
#include <numeric>

#include <oneapi/dnnl/dnnl_debug.h>

#include "core/dnnl_context.h"
#include "frontends/pbtxt/pbtxt_loader.h"
#include "ops/registry.h"
#include "tests/support/tree_paths.h"

namespace tapeflow::bench {
namespace {

std::atomic<int> gFailures{0};  ///< benchmarks that reported fail()

int failures() { return gFailures.load(); }

std::string operandName(size_t i) { return "in" + std::to_string(i); }

/// Random plain floats in [low, high).
std::vector<float> randomFloats(int64_t n, uint64_t seed, float low,
                                float high) {
  Rng rng(seed * 7919 + 17);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = low + (high - low) * rng.uniform();
  return x;
}

/// The names of a node's F32 outputs.
std::vector<std::string> f32Outputs(const Program& p, int node) {
  std::vector<std::string> out;
  for (int v : p.nodeOutputs(node))
    if (p.value(v).dtype == DType::F32) out.push_back(p.value(v).name);
  return out;
}

/// Distinct "value" parts of an implInfo string "k=v, k=v, ...".
std::vector<std::string> implValues(const std::string& info) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < info.size()) {
    size_t end = info.find(", ", pos);
    if (end == std::string::npos) end = info.size();
    std::string part = info.substr(pos, end - pos);
    size_t eq = part.find('=');
    std::string value = eq == std::string::npos ? part : part.substr(eq + 1);
    if (std::find(out.begin(), out.end(), value) == out.end())
      out.push_back(value);
    pos = end + 2;
  }
  return out;
}

}  // namespace

Graph oneOpGraph(const OpCase& c) {
  Graph g;
  g.name = "bench_" + c.op;
  g.file = "<bench>";
  Node node;
  node.name = "node";
  node.op = c.op;
  node.attrs = c.attrs;
  for (size_t i = 0; i < c.operands.size(); ++i) {
    const Operand& o = c.operands[i];
    std::string name = operandName(i);
    if (!o.dims.empty() && o.dims[0] == -1) {
      InputDef in;
      in.name = name;
      in.dtype = o.dtype;
      in.dims = o.dims;
      g.inputs.push_back(in);
    } else {
      ParamDef p;
      p.name = name;
      p.dtype = o.dtype;
      p.dims = o.dims;
      p.trainable = o.trainable;
      p.init.kind = "uniform";
      p.init.low = -0.5f;
      p.init.high = 0.5f;
      g.params.push_back(p);
    }
    node.inputs.push_back(name);
  }
  const OpDef* def = ops::registry().find(c.op);
  size_t outputs = def ? def->outputs().size() : 1;
  for (size_t k = 0; k < outputs; ++k) {
    node.outputs.push_back("out" + std::to_string(k));
    g.outputs.push_back(node.outputs.back());
  }
  g.nodes.push_back(node);
  return g;
}

OpPlan::OpPlan(const OpCase& c, int64_t batch, Mode mode) {
  program = Program::build(oneOpGraph(c), ops::registry());
  store = std::make_unique<ParamStore>(program);
  store->initialize(1);
  PlanOptions opts;
  opts.mode = mode;
  opts.batch = batch;
  if (mode == Mode::Training) {
    opts.gradTargets = f32Outputs(*program, node);
    opts.inputGrads = c.inputGrads;
  }
  plan = std::make_unique<Plan>(program, *store, opts);
  fillInputs(*plan, 2, -1.f, 1.f, c.labelRange);
  if (mode == Mode::Training) {
    uint64_t seed = 3;
    for (const std::string& name : opts.gradTargets) {
      int v = program->findValue(name);
      std::vector<float> g =
          randomFloats(numel(plan->dims(v)), seed++, -1.f, 1.f);
      plan->seedGrad(name, g.data());
    }
  }
}

std::string modelPath(const std::string& name) {
  return tapeflow::paths::sourceDir() + "/models/" + name + ".pbtxt";
}

Model::Model(const std::string& name) {
  program = Program::build(loadGraphFile(modelPath(name)), ops::registry());
  store = std::make_unique<ParamStore>(program);
  store->initialize(1);
}

void fillInputs(Plan& plan, uint64_t seed, float low, float high,
                int labelRange) {
  const Program& p = plan.program();
  for (int v = 0; v < int(p.values().size()); ++v) {
    const ValueInfo& info = p.value(v);
    if (info.kind != ValueKind::Input) continue;
    dnnl::memory& m = plan.inputMemory(info.name);
    int64_t n = numel(plan.dims(v));
    if (info.dtype == DType::I32) {
      Rng rng(seed * 31 + uint64_t(v));
      auto* dst = static_cast<int32_t*>(m.get_data_handle());
      for (int64_t i = 0; i < n; ++i)
        dst[i] = int32_t(rng.next() % uint64_t(labelRange));
    } else {
      std::vector<float> x = randomFloats(n, seed + uint64_t(v), low, high);
      std::memcpy(m.get_data_handle(), x.data(), x.size() * sizeof(float));
    }
  }
}

double forwardFlops(const Plan& plan) {
  double flops = 0;
  for (int n : plan.order())
    flops += double(plan.program().flopsPerSample(n)) * double(plan.batch());
  return flops;
}

int totalReorders(const Plan& plan) {
  int reorders = 0;
  for (int n : plan.order()) reorders += plan.nodeInfo(n).reorders;
  return reorders;
}

std::string layoutStr(const dnnl::memory::desc& md) {
  const dnnl_memory_desc_t& d = md.data;
  switch (d.format_kind) {
    case dnnl_blocked:
      break;
    case dnnl_format_kind_any:
      return "any";
    case dnnl_format_kind_undef:
      return "undef";
    default:
      return "opaque";
  }
  const int nd = d.ndims;
  if (nd == 0) return "scalar";
  const char* letters = nd == 4 ? "nchw" : nd == 2 ? "nc" : "abcdefghijkl";
  const dnnl_blocking_desc_t& b = d.format_desc.blocking;
  std::vector<int> order(static_cast<size_t>(nd));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int x, int y) {
    return b.strides[x] > b.strides[y];
  });
  std::vector<bool> blocked(static_cast<size_t>(nd), false);
  for (int i = 0; i < b.inner_nblks; ++i) blocked[size_t(b.inner_idxs[i])] = true;
  std::string s;
  for (int dim : order) {
    char ch = letters[dim];
    s += blocked[size_t(dim)] ? char(std::toupper(static_cast<unsigned char>(ch)))
                              : ch;
  }
  for (int i = 0; i < b.inner_nblks; ++i)
    s += std::to_string(b.inner_blks[i]) + letters[b.inner_idxs[i]];
  return s;
}

std::string opLabel(const Plan& plan, int node) {
  const Program& p = plan.program();
  std::string info = plan.nodeInfo(node).impl;
  std::string s = info.empty() ? "impl not recorded" : info;
  for (int v : p.nodeInputs(node))
    if (p.value(v).kind == ValueKind::Input && p.value(v).dtype == DType::F32) {
      s += " | src " + layoutStr(plan.desc(v));
      break;
    }
  const std::vector<int>& outs = p.nodeOutputs(node);
  if (!outs.empty()) s += " dst " + layoutStr(plan.desc(outs[0]));
  return s;
}

std::string modelLabel(const Plan& plan) {
  const Program& p = plan.program();
  std::string s;
  for (int n : plan.order()) {
    if (plan.fused(n)) continue;
    const std::string& info = plan.nodeInfo(n).impl;
    if (info.empty()) continue;
    std::string impls;
    for (const std::string& v : implValues(info))
      impls += (impls.empty() ? "" : "/") + v;
    s += (s.empty() ? "" : " ") + p.graph().nodes[size_t(n)].name + "=" + impls;
  }
  return s;
}

void fail(benchmark::State& state, const std::string& message) {
  ++gFailures;
  state.SkipWithError(message.c_str());
}

void setCounters(benchmark::State& state, int64_t imagesPerIteration,
                 double flopsPerIteration, int reorders) {
  state.SetItemsProcessed(int64_t(state.iterations()) * imagesPerIteration);
  if (flopsPerIteration > 0)
    state.counters["GFLOP/s"] = benchmark::Counter(
        flopsPerIteration * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["reorders"] = double(reorders);
}

namespace {

void runForward(benchmark::State& state, const OpCase& c, int64_t batch) {
  std::unique_ptr<OpPlan> op;
  try {
    op = std::make_unique<OpPlan>(c, batch, Mode::Inference);
    op->plan->forward();  // warm-up: first touch of every buffer
  } catch (const std::exception& e) {
    fail(state, e.what());
    return;
  }
  Plan& plan = *op->plan;
  for (auto _ : state) plan.forward();
  setCounters(state, batch, forwardFlops(plan), totalReorders(plan));
  state.SetLabel(opLabel(plan, op->node));
}

void runBackward(benchmark::State& state, const OpCase& c, int64_t batch) {
  std::unique_ptr<OpPlan> op;
  try {
    op = std::make_unique<OpPlan>(c, batch, Mode::Training);
    op->plan->forward();   // records the tape backward replays
    op->plan->backward();  // warm-up
  } catch (const std::exception& e) {
    fail(state, e.what());
    return;
  }
  Plan& plan = *op->plan;
  for (auto _ : state) plan.backward();
  setCounters(state, batch, c.backwardFlopsFactor * forwardFlops(plan),
              totalReorders(plan));
  state.SetLabel(opLabel(plan, op->node));
}

}  // namespace

void registerOpBenchmarks(const std::string& name, const std::string& shape,
                          const OpCase& c, const std::vector<int64_t>& batches) {
  for (int64_t batch : batches) {
    std::string suffix = "/n" + std::to_string(batch) + "_" + shape;
    benchmark::RegisterBenchmark(
        ("BM_" + name + "_Forward" + suffix).c_str(),
        [c, batch](benchmark::State& s) { runForward(s, c, batch); })
        ->UseRealTime()  // rates from wall time, as the model benchmarks
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(
        ("BM_" + name + "_Backward" + suffix).c_str(),
        [c, batch](benchmark::State& s) { runBackward(s, c, batch); })
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
  }
}

}  // namespace tapeflow::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  const dnnl_version_t* v = dnnl_version();
  benchmark::AddCustomContext("onednn", std::to_string(v->major) + "." +
                                            std::to_string(v->minor) + "." +
                                            std::to_string(v->patch));
  benchmark::AddCustomContext("onednn_isa",
                              dnnl_cpu_isa2str(dnnl_get_effective_cpu_isa()));
  benchmark::AddCustomContext("threads",
                              std::to_string(tapeflow::numThreads()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  int failed = tapeflow::bench::failures();
  if (failed > 0) {
    std::fprintf(stderr, "tapeflow_bench: %d benchmark(s) failed\n", failed);
    return 1;
  }
  return 0;
}
