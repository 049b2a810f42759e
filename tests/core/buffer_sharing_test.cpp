// tests/core/buffer_sharing_test.cpp - an inference plan's node outputs
// share memory by liveness (PlanOptions::shareBuffers, core/plan_memory.cpp):
// the shipped models need fewer bytes than the sum of their values, give
// the same outputs as the unshared plan, and no two values that are live
// at the same time in the execution order overlap in memory.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "core/dnnl_context.h"
#include "core/param_store.h"
#include "core/plan.h"
#include "frontends/pbtxt/pbtxt_loader.h"
#include "ops/registry.h"
#include "tests/support/tree_paths.h"

namespace tapeflow {
namespace {

std::shared_ptr<const Program> model(const std::string& name) {
  return Program::build(loadGraphFile(tapeflow::paths::sourceDir() + "/models/" + name),
                        ops::registry());
}

struct InferenceRun {
  std::unique_ptr<ParamStore> store;
  std::unique_ptr<Plan> plan;
  std::vector<float> prediction;

  InferenceRun(std::shared_ptr<const Program> p, bool share, bool fuse = true) {
    store = std::make_unique<ParamStore>(p);
    store->initialize(3);
    PlanOptions o;
    o.mode = Mode::Inference;
    o.batch = 8;
    o.shareBuffers = share;
    o.fuse = fuse;
    plan = std::make_unique<Plan>(p, *store, o);
    Rng rng(11);
    for (const InputDef& in : p->graph().inputs) {
      dnnl::memory& m = plan->inputMemory(in.name);
      for (size_t i = 0; i < m.get_desc().get_size() / 4; ++i) {
        if (in.dtype == DType::I32)
          hostPtr<int32_t>(m)[i] = int32_t(rng.next() % 10);
        else
          hostPtr(m)[i] = 2.f * rng.uniform() - 1.f;
      }
    }
    // Twice: the second run reads buffers the first one left behind.
    plan->forward();
    plan->forward();
    prediction = plan->readValue(p->predictionValue());
  }
};

/// Every pair of node outputs whose bytes overlap is never live at the
/// same time: a value is live from the position (in Plan::order()) of the
/// node that writes it to the last position that reads it, a fused chain
/// running at its last node; values the caller reads (graph outputs, the
/// prediction) live to the end. Values that are one buffer (a folded
/// activation's output is its producer's) are compared as one.
void expectNoLiveOverlap(const Plan& plan) {
  const Program& p = plan.program();
  const int end = int(plan.order().size());
  std::vector<int> at(size_t(p.numNodes()), -1);
  for (size_t i = 0; i < plan.order().size(); ++i) at[plan.order()[i]] = int(i);
  auto runsAt = [&](int n) {
    const FusedChain* c = plan.chainOf(n);
    return at[c ? c->nodes.back() : n];
  };
  struct Live {
    int value;
    uintptr_t lo, hi;
    int first, last;
  };
  std::vector<Live> lives;
  for (int v = 0; v < int(p.values().size()); ++v) {
    const ValueInfo& info = p.value(v);
    if (info.kind != ValueKind::NodeOutput || !plan.memoryOf(v)) continue;
    uintptr_t lo = reinterpret_cast<uintptr_t>(plan.memoryOf(v).get_data_handle());
    Live l{v, lo, lo + plan.desc(v).get_size(), runsAt(info.owner), runsAt(info.owner)};
    for (auto [c, port] : info.consumers)
      if (plan.active(c)) l.last = std::max(l.last, runsAt(c));
    for (int o : p.outputValues()) l.last = o == v ? end : l.last;
    if (v == p.predictionValue()) l.last = end;
    lives.push_back(l);
  }
  // Merge the values of one buffer (same bytes, written by a node and the
  // activation folded into it).
  for (Live& a : lives)
    for (Live& b : lives)
      if (a.lo == b.lo && a.hi == b.hi &&
          (plan.fusedInto(p.value(b.value).owner) == p.value(a.value).owner ||
           plan.fusedInto(p.value(a.value).owner) == p.value(b.value).owner)) {
        a.first = b.first = std::min(a.first, b.first);
        a.last = b.last = std::max(a.last, b.last);
      }
  int shared = 0;
  for (size_t i = 0; i < lives.size(); ++i)
    for (size_t j = i + 1; j < lives.size(); ++j) {
      const Live &a = lives[i], &b = lives[j];
      const bool bytes = a.lo < b.hi && b.lo < a.hi;
      if (!bytes) continue;
      const bool alias = a.lo == b.lo && a.hi == b.hi && a.first == b.first && a.last == b.last;
      if (alias) continue;
      ++shared;
      EXPECT_TRUE(a.last < b.first || b.last < a.first)
          << "'" << p.value(a.value).name << "' [" << a.first << ", " << a.last << "] and '"
          << p.value(b.value).name << "' [" << b.first << ", " << b.last
          << "] are live together and share memory";
    }
  EXPECT_GT(shared, 0) << "no two values share memory: the check proves nothing";
}

void checkModel(const std::string& name) {
  SCOPED_TRACE(name);
  auto p = model(name);
  InferenceRun shared(p, true), own(p, false);
  const Plan::BufferStats& st = shared.plan->bufferStats();
  EXPECT_GT(st.arenaBytes, 0);
  EXPECT_LT(st.arenaBytes, st.valueBytes);
  EXPECT_GE(st.arenaBytes, st.livePeakBytes);
  EXPECT_LT(shared.plan->bytesAllocated(), own.plan->bytesAllocated());
  EXPECT_EQ(own.plan->bufferStats().arenaBytes, 0);
  ASSERT_FALSE(own.prediction.empty());
  EXPECT_EQ(shared.prediction, own.prediction) << "the same primitives on the same data";
  expectNoLiveOverlap(*shared.plan);
}

TEST(BufferSharingTest, LeNet5KerasSharesAndMatches) { checkModel("lenet5_keras.pbtxt"); }
TEST(BufferSharingTest, VggCifarSharesAndMatches) { checkModel("vgg_cifar.pbtxt"); }
TEST(BufferSharingTest, ResNetSharesAndMatches) { checkModel("resnet_mnist.pbtxt"); }
TEST(BufferSharingTest, LeNet5ChainsShareAndMatch) { checkModel("lenet5.pbtxt"); }

TEST(BufferSharingTest, UnfusedPlanSharesToo) {
  auto p = model("vgg_cifar.pbtxt");
  InferenceRun shared(p, true, false), own(p, false, false);
  EXPECT_EQ(shared.prediction, own.prediction);
  expectNoLiveOverlap(*shared.plan);
}

TEST(BufferSharingTest, ReusedValueIsNotReadable) {
  auto p = model("lenet5_keras.pbtxt");
  InferenceRun shared(p, true);
  const int first = p->nodeOutputs(shared.plan->order().front())[0];
  EXPECT_THROW(shared.plan->readValue(first), UsageError);
  InferenceRun own(p, false);
  EXPECT_NO_THROW(own.plan->readValue(first));
}

TEST(BufferSharingTest, TrainingPlansDoNotShare) {
  auto p = model("lenet5_keras.pbtxt");
  ParamStore store(p);
  store.initialize(1);
  PlanOptions o;
  o.batch = 4;
  Plan plan(p, store, o);
  EXPECT_EQ(plan.bufferStats().arenaBytes, 0);
}

}  // namespace
}  // namespace tapeflow
