// bench/ops/prepare_bench.cpp - the cost of building a whole training Plan
// (every primitive descriptor and primitive created, every buffer
// allocated) for each LeNet-5 model at batch 64, as the trainer builds it.
//
// BM_Prepare/<model>         oneDNN's primitive cache disabled: every
//                            primitive is created (and JIT-compiled) anew;
//                            JIT and primitive-creation regressions show here
// BM_Prepare/<model>/cached  primitive cache warm (the default): what a
//                            second plan of the same shapes costs
// The graph file is loaded and validated outside the timed loop.
#include "bench/bench_support.h"

namespace tapeflow::bench {
namespace {

constexpr int64_t kBatch = 64;

void runPrepare(benchmark::State& state, const std::string& name, bool cold) {
  std::unique_ptr<Model> model;
  PlanOptions opts;
  opts.mode = Mode::Training;
  opts.batch = kBatch;
  int reorders = 0;
  int64_t bytes = 0;
  try {
    model = std::make_unique<Model>(name);
    const Program& p = *model->program;
    opts.outputs = {p.value(p.lossValue()).name,
                    p.value(p.predictionValue()).name};
    Plan warm(model->program, *model->store, opts);  // fills the cache
    reorders = totalReorders(warm);
    bytes = warm.bytesAllocated();
  } catch (const std::exception& e) {
    fail(state, e.what());
    return;
  }
  const int capacity = dnnl::get_primitive_cache_capacity();
  if (cold) dnnl::set_primitive_cache_capacity(0);
  for (auto _ : state) {
    Plan plan(model->program, *model->store, opts);
    int64_t allocated = plan.bytesAllocated();
    benchmark::DoNotOptimize(allocated);
  }
  if (cold) dnnl::set_primitive_cache_capacity(capacity);
  state.counters["reorders"] = double(reorders);
  state.counters["buffers_MiB"] = double(bytes) / double(1 << 20);
}

bool registerPrepare() {
  for (const char* name : {"lenet5_keras", "lenet5"}) {
    std::string model = name;
    benchmark::RegisterBenchmark(
        ("BM_Prepare/" + model).c_str(),
        [model](benchmark::State& s) { runPrepare(s, model, true); })
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(
        ("BM_Prepare/" + model + "/cached").c_str(),
        [model](benchmark::State& s) { runPrepare(s, model, false); })
        ->Unit(benchmark::kMillisecond);
  }
  return true;
}

[[maybe_unused]] const bool kRegistered = registerPrepare();

}  // namespace
}  // namespace tapeflow::bench
