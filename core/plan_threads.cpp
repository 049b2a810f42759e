// core/plan_threads.cpp - which nodes run on one thread.
//
// Every oneDNN primitive opens an OpenMP parallel region with the whole
// team, however few elements it touches. On a node of a few hundred
// elements the region costs more than the work, and on a shared or
// oversubscribed machine each region waits for a descheduled thread: a
// chain of 10,000 Add/Relu nodes on [4,16] stepped about 10 times slower
// at 2 threads than at 1. A tiny node is therefore prepared and run with
// a team of one (ThreadLimit, core/dnnl_context.h): oneDNN then creates
// its primitives for one thread and runs them without a region. Big nodes
// (convolutions, big matrix products) keep the whole team.
#include <algorithm>

#include "core/dnnl_context.h"
#include "core/plan.h"

namespace tapeflow {
namespace {

// A node is tiny when the elements of its inputs and outputs plus its
// forward FLOPs per step (both at the plan's batch) are under this.
// Chosen from measurement (`tapeflow profile --no-fuse`, the uninstrumented
// median step of a 100-node Add/Relu chain on [N,1024], 2026-12-04): at 1
// thread 0.15, 0.29, 1.1 and 9.4 ms for 1k, 4k, 16k and 64k elements, so a
// node's forward and backward take about 1 us per 1k elements (0.7 to
// 1.4), and a node under 32k runs in a few tens of microseconds alone. A
// team can save at most half of that, and pays a region per primitive: a
// few microseconds on an idle machine, a scheduler slice on a busy one
// (load 6 to 8 on 2 cores: the same chain at 2 threads took 3 to 40 times
// as long as at 1, at every one of those sizes).
constexpr int64_t kSingleThreadWork = int64_t{1} << 15;

}  // namespace

void Plan::planThreads() {
  const Program& p = *program_;
  const int team = std::max(1, numThreads());
  threads_.assign(size_t(p.numNodes()), team);
  auto work = [&](int n) {
    int64_t w = p.flopsPerSample(n) * options_.batch;
    for (int v : p.nodeInputs(n)) w += checkedNumel(dims_[v]);
    for (int v : p.nodeOutputs(n)) w += checkedNumel(dims_[v]);
    return w;
  };
  for (int n : order_)
    if (chainOf_[n] < 0 && work(n) < kSingleThreadWork) threads_[n] = 1;
  // A fused chain runs as one node: its members' work together.
  for (const FusedChain& ch : chains_) {
    int64_t w = 0;
    for (int n : ch.nodes) w += work(n);
    if (w < kSingleThreadWork)
      for (int n : ch.nodes) threads_[n] = 1;
  }
}

}  // namespace tapeflow
