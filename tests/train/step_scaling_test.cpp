// tests/train/step_scaling_test.cpp - the per-step work of a training step
// grows linearly with the number of nodes. Times are never asserted: the
// test counts what a step does instead - the tape entries it visits and
// the heap allocations it makes (every `new`, ours and oneDNN's) - for
// chains of 1,000 and 10,000 Add/Relu nodes on a small tensor, and for
// LeNet-5 as the reference - and the OpenMP parallel regions it opens with
// more than one thread: tiny nodes run on one thread, so the chain opens
// none at a team of 2, while LeNet-5's convolutions keep the team.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <omp.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "core/dnnl_context.h"
#include "core/plan.h"
#include "frontends/pbtxt/pbtxt_loader.h"
#include "ops/registry.h"
#include "train/optimizer.h"
#include "train/train_step.h"
#include "tests/support/tree_paths.h"

namespace {
std::atomic<int64_t> gAllocations{0};
std::atomic<int64_t> gTeamRegions{0};
std::atomic<bool> gNoRuntime{false};
}  // namespace

// Counts the parallel regions started with more than one thread. oneDNN
// opens every region through GOMP_parallel (libgomp's entry point, which
// libomp also provides); this executable's definition takes precedence
// over the runtime's for libdnnl and forwards to it. Regions that GCC
// compiles in our own loops come here too (clang's do not).
extern "C" void GOMP_parallel(void (*fn)(void*), void* data, unsigned threads,
                              unsigned flags) {
  using Entry = void (*)(void (*)(void*), void*, unsigned, unsigned);
  static const Entry next = reinterpret_cast<Entry>(dlsym(RTLD_NEXT, "GOMP_parallel"));
  if (!next) {  // no runtime behind us: run the region alone, fail the test
    gNoRuntime = true;
    fn(data);
    return;
  }
  const int team = threads ? int(threads) : omp_get_max_threads();
  if (team > 1 && !omp_in_parallel()) gTeamRegions.fetch_add(1, std::memory_order_relaxed);
  next(fn, data, threads, flags);
}

// Counts every allocation of the process (replaceable global operator new;
// GCC takes the free() in our operator delete for a mismatch once it has
// inlined a library `new` into a caller).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
// Every unaligned form is replaced, so that each pair matches (malloc and
// free) also under AddressSanitizer; the aligned forms stay the library's.
void* operator new(std::size_t n) {
  gAllocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  gAllocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept {
  return operator new(n, t);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace tapeflow {
namespace {

// x [N,16] -> (Add b, Relu) x nodes/2 -> SoftmaxCrossEntropy.
std::string chain(int nodes) {
  std::string g = R"(format_version: 1
name: "chain"
input { name: "x" dtype: F32 shape: [-1, 16] }
input { name: "label" dtype: I32 shape: [-1] }
param { name: "b" shape: [16] init { kind: "uniform" low: -0.1 high: 0.1 } }
)";
  std::string prev = "x";
  for (int i = 0; i < nodes; ++i) {
    const std::string v = "v" + std::to_string(i);
    g += i % 2 == 0 ? "node { name: \"n" + std::to_string(i) + "\" op: \"Add\" input: [\"" +
                          prev + "\", \"b\"] output: \"" + v + "\" }\n"
                    : "node { name: \"n" + std::to_string(i) + "\" op: \"Relu\" input: \"" +
                          prev + "\" output: \"" + v + "\" }\n";
    prev = v;
  }
  return g + "node { name: \"loss\" op: \"SoftmaxCrossEntropy\" input: [\"" + prev +
         "\", \"label\"] output: \"loss\" }\nloss: \"loss\"\n";
}

struct StepWork {
  int nodes = 0;               ///< nodes of the graph
  int64_t tapeEntries = 0;     ///< tape entries per step
  double allocations = 0;      ///< heap allocations per step
  double teamRegions = 0;      ///< parallel regions of 2+ threads per step
  int singleThreaded = 0;      ///< active nodes with Plan::threads 1
  int active = 0;              ///< active nodes
  std::vector<int> convThreads;  ///< Plan::threads of each Conv2D
};

// The work of one steady-state step (after two warm-up steps) of SGD with
// momentum on `program` at batch 4 and a team of 2 threads: inputs named
// `input` and "label".
StepWork measure(std::shared_ptr<const Program> program, const std::string& input,
                 int64_t sampleSize) {
  setNumThreads(2);  // ctest runs with OMP_NUM_THREADS=1
  SolverConfig s;
  s.batchSize = 4;
  ParamStore store(program);
  store.initialize(1);
  auto optimizer = Optimizer::create(s, store);
  PlanOptions o;
  o.batch = 4;
  Plan plan(program, store, o);
  TrainStep step(program, store, optimizer.get(), s, {{input, "image"}, {"label", "label"}}, 10);
  Batch b;
  b.size = 4;
  BatchTensor x, y;
  x.name = "image";
  x.f32.assign(size_t(4 * sampleSize), 0.5f);
  y.name = "label";
  y.dtype = DType::I32;
  y.i32 = {0, 1, 2, 3};
  b.fields = {x, y};
  for (int i = 0; i < 2; ++i) step.run(plan, b, i);
  const int steps = 5;
  const int64_t before = gAllocations.load(), regionsBefore = gTeamRegions.load();
  for (int i = 0; i < steps; ++i) step.run(plan, b, 2 + i);
  StepWork w;
  w.allocations = double(gAllocations.load() - before) / steps;
  w.teamRegions = double(gTeamRegions.load() - regionsBefore) / steps;
  w.tapeEntries = int64_t(plan.tape().size());
  w.nodes = program->numNodes();
  for (int n : plan.order()) {
    w.active++;
    w.singleThreaded += plan.threads(n) == 1;
    if (program->graph().nodes[size_t(n)].op == "Conv2D") w.convThreads.push_back(plan.threads(n));
  }
  return w;
}

std::shared_ptr<const Program> build(const std::string& text, const std::string& name) {
  return Program::build(parseGraphText(text, name), ops::registry());
}

TEST(StepScalingTest, WorkPerStepGrowsLinearlyWithTheNodes) {
  const StepWork small = measure(build(chain(1000), "chain1k"), "x", 16);
  const StepWork large = measure(build(chain(10000), "chain10k"), "x", 16);
  auto lenet = Program::build(loadGraphFile(tapeflow::paths::sourceDir() +
                                            "/models/lenet5.pbtxt"),
                              ops::registry());
  const StepWork reference = measure(lenet, "image", 32 * 32);
  std::printf("allocations per step: chain 1k %.0f, chain 10k %.0f, LeNet-5 %.0f (%d nodes)\n",
              small.allocations, large.allocations, reference.allocations, reference.nodes);
  // The tape holds every node once.
  EXPECT_EQ(small.tapeEntries, 1001);
  EXPECT_EQ(large.tapeEntries, 10001);
  // Ten times the nodes, about ten times the allocations (a step whose
  // work grew with the square of the nodes would make ~100 times more).
  const double ratio = large.allocations / small.allocations;
  EXPECT_GT(ratio, 8.0);
  EXPECT_LT(ratio, 12.0);
  // Per node, the 10k chain's step does no more than a small factor of
  // what LeNet-5's does.
  EXPECT_LT(large.allocations / large.nodes, 3.0 * reference.allocations / reference.nodes + 1.0);
}

TEST(StepScalingTest, TinyNodesRunOnOneThreadAndConvolutionsOnTheTeam) {
  const StepWork large = measure(build(chain(10000), "chain10k"), "x", 16);
  auto lenet = Program::build(loadGraphFile(tapeflow::paths::sourceDir() +
                                            "/models/lenet5.pbtxt"),
                              ops::registry());
  const StepWork reference = measure(lenet, "image", 32 * 32);
  std::printf("parallel regions of 2 threads per step: chain 10k %.0f, LeNet-5 %.0f; "
              "single-threaded nodes: chain %d of %d, LeNet-5 %d of %d\n",
              large.teamRegions, reference.teamRegions, large.singleThreaded, large.active,
              reference.singleThreaded, reference.active);
  ASSERT_FALSE(gNoRuntime.load());
  // Every node of the chain ([4,16] tensors) runs on one thread, so a
  // step opens no region with a team: none waits for a second thread.
  EXPECT_EQ(large.active, 10001);
  EXPECT_EQ(large.singleThreaded, large.active);
  EXPECT_EQ(large.teamRegions, 0.0);
  // LeNet-5's convolutions keep the team of 2 and open regions with it.
  ASSERT_EQ(reference.convThreads.size(), 3u);
  for (int t : reference.convThreads) EXPECT_EQ(t, 2);
  EXPECT_GT(reference.teamRegions, 0.0);
  EXPECT_LT(reference.singleThreaded, reference.active);
}

}  // namespace
}  // namespace tapeflow
