// tests/core/buffer_sharing_test.cpp - a plan's node outputs share memory
// by liveness (PlanOptions::shareBuffers, core/plan_memory.cpp): the
// shipped models need fewer bytes than the sum of their values, give the
// same outputs (in training: the same loss, gradients and parameters, bit
// for bit) as the unshared plan, and no two values that are live at the
// same time in the execution order (in training, the forward pass and then
// the backward pass) overlap in memory.
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
/// prediction, the loss) live to the end. In training the backward calls
/// follow, the node at position i calling at 2E - 1 - i (E positions), and
/// a value read by a backward call (OpDef::backwardReads; a fused chain
/// reads all) lives until then. Values that are one buffer (a folded
/// activation's output is its producer's) are compared as one.
void expectNoLiveOverlap(const Plan& plan) {
  const Program& p = plan.program();
  const bool training = plan.mode() == Mode::Training;
  const int forwardEnd = int(plan.order().size());
  const int end = training ? 2 * forwardEnd : forwardEnd;
  std::vector<int> at(size_t(p.numNodes()), -1);
  for (size_t i = 0; i < plan.order().size(); ++i) at[plan.order()[i]] = int(i);
  auto runsAt = [&](int n) {
    const FusedChain* c = plan.chainOf(n);
    return at[c ? c->nodes.back() : n];
  };
  auto backwardAt = [&](int n, bool reads) {
    const bool runs = plan.chainOf(n) || (plan.runsBackward(n) && reads);
    return training && runs ? end - 1 - runsAt(n) : -1;
  };
  struct Live {
    int value;
    uintptr_t lo, hi;
    int first, last;
    bool grad = false;
  };
  std::vector<Live> lives, views;
  for (int v = 0; v < int(p.values().size()); ++v) {
    const ValueInfo& info = p.value(v);
    if (info.kind != ValueKind::NodeOutput || !plan.memoryOf(v)) continue;
    uintptr_t lo = reinterpret_cast<uintptr_t>(plan.memoryOf(v).get_data_handle());
    Live l{v, lo, lo + plan.desc(v).get_size(), runsAt(info.owner), runsAt(info.owner)};
    for (auto [c, port] : info.consumers)
      if (plan.active(c))
        l.last = std::max({l.last, runsAt(c), backwardAt(c, p.op(c).backwardReadsInput(port))});
    const std::vector<int>& outs = p.nodeOutputs(info.owner);
    const int k = int(std::find(outs.begin(), outs.end(), v) - outs.begin());
    l.last = std::max(l.last, backwardAt(info.owner, p.op(info.owner).backwardReadsOutput(k)));
    for (int o : p.outputValues()) l.last = o == v ? end : l.last;
    if (v == p.predictionValue() || (training && v == p.lossValue())) l.last = end;
    lives.push_back(l);
  }
  // A gradient is written first by the backward call of its last consumer
  // that runs backward and read last by its producer's (or by the
  // BatchNorm a Relu folded into, which reads the Relu's output gradient);
  // one nobody writes (zeros) or the caller seeds lives throughout.
  for (int v = 0; training && v < int(p.values().size()); ++v) {
    const ValueInfo& info = p.value(v);
    if (info.kind != ValueKind::NodeOutput || !plan.gradMemoryOf(v)) continue;
    uintptr_t lo = reinterpret_cast<uintptr_t>(plan.gradMemoryOf(v).get_data_handle());
    if (plan.gradViewOf(v) >= 0) {  // a part of another gradient's buffer
      views.push_back({v, lo, lo, 0, backwardAt(info.owner, true), true});
      continue;
    }
    Live l{v, lo, lo + plan.desc(v).get_size(), end, backwardAt(info.owner, true), true};
    for (auto [c, port] : info.consumers)
      if (plan.active(c) && plan.runsBackward(c) && p.op(c).inputPort(port).differentiable)
        l.first = std::min(l.first, backwardAt(c, true));
    if (plan.fused(info.owner) && p.op(plan.fusedInto(info.owner)).foldsReluFlag())
      l.last = std::max(l.last, backwardAt(plan.fusedInto(info.owner), true));
    if (l.first == end || l.last < l.first || v == p.lossValue()) l.first = 0, l.last = end;
    lives.push_back(l);
  }
  // A view gradient (a Concat input's) is read where its base lives: the
  // base must start at the same address and live until the view's reader.
  for (const Live& view : views) {
    const int base = plan.gradViewOf(view.value);
    auto it = std::find_if(lives.begin(), lives.end(),
                           [&](const Live& l) { return l.grad && l.value == base; });
    ASSERT_NE(it, lives.end()) << p.value(view.value).name;
    EXPECT_EQ(it->lo, view.lo) << p.value(view.value).name;
    it->last = std::max(it->last, view.last);
  }
  // Merge the values of one buffer (same bytes, written by a node and the
  // activation folded into it).
  for (Live& a : lives)
    for (Live& b : lives)
      if (!a.grad && !b.grad && a.lo == b.lo && a.hi == b.hi &&
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
      const bool alias = !a.grad && !b.grad && a.lo == b.lo && a.hi == b.hi &&
                         a.first == b.first && a.last == b.last;
      if (alias) continue;
      ++shared;
      EXPECT_TRUE(a.last < b.first || b.last < a.first)
          << (a.grad ? "d '" : "'") << p.value(a.value).name << "' [" << a.first << ", "
          << a.last << "] and " << (b.grad ? "d '" : "'") << p.value(b.value).name << "' ["
          << b.first << ", " << b.last << "] are live together and share memory";
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

/// Two training steps (forward, backward) on fixed random inputs: the loss
/// of each, then every parameter's gradient and value (BatchNorm's running
/// statistics change in forward) and every value the caller reads.
struct TrainingRun {
  std::unique_ptr<ParamStore> store;
  std::unique_ptr<Plan> plan;
  std::vector<std::vector<float>> results;

  TrainingRun(std::shared_ptr<const Program> p, bool share, int64_t batch) {
    store = std::make_unique<ParamStore>(p);
    store->initialize(5);
    PlanOptions o;
    o.batch = batch;
    o.shareBuffers = share;
    plan = std::make_unique<Plan>(p, *store, o);
    Rng rng(13);
    for (int step = 0; step < 2; ++step) {
      for (const InputDef& in : p->graph().inputs) {
        dnnl::memory& m = plan->inputMemory(in.name);
        for (size_t i = 0; i < m.get_desc().get_size() / 4; ++i) {
          if (in.dtype == DType::I32)
            hostPtr<int32_t>(m)[i] = int32_t(rng.next() % 10);
          else
            hostPtr(m)[i] = 2.f * rng.uniform() - 1.f;
        }
      }
      plan->setStep(uint64_t(step));
      plan->forward();
      plan->backward();
      results.push_back({plan->readScalar(p->value(p->lossValue()).name)});
    }
    for (int k = 0; k < store->numParams(); ++k) {
      const float* v = hostPtr(store->value(k));
      results.emplace_back(v, v + store->size(k));
      if (store->grad(k))
        results.emplace_back(store->gradData(k), store->gradData(k) + store->size(k));
    }
    for (int v : p->outputValues()) results.push_back(plan->readValue(v));
    if (p->predictionValue() >= 0) results.push_back(plan->readValue(p->predictionValue()));
  }
};

void checkTraining(const std::string& name, int64_t batch) {
  SCOPED_TRACE(name);
  auto p = model(name);
  TrainingRun shared(p, true, batch), own(p, false, batch);
  const Plan::BufferStats& st = shared.plan->bufferStats();
  EXPECT_GT(st.arenaBytes, 0);
  EXPECT_LT(st.arenaBytes, st.valueBytes) << "some values must share";
  EXPECT_GE(st.arenaBytes, st.livePeakBytes);
  EXPECT_LT(shared.plan->bytesAllocated(), own.plan->bytesAllocated());
  EXPECT_EQ(own.plan->bufferStats().arenaBytes, 0);
  ASSERT_EQ(shared.results.size(), own.results.size());
  for (size_t i = 0; i < own.results.size(); ++i) {
    ASSERT_FALSE(own.results[i].empty());
    EXPECT_EQ(shared.results[i], own.results[i])
        << "result " << i << " (0, 1: the losses; then per parameter its value and gradient)";
  }
  expectNoLiveOverlap(*shared.plan);
}

TEST(BufferSharingTest, TrainingLeNet5KerasSharesAndMatches) {
  checkTraining("lenet5_keras.pbtxt", 4);
}
TEST(BufferSharingTest, TrainingLeNet5SharesAndMatches) { checkTraining("lenet5.pbtxt", 4); }
TEST(BufferSharingTest, TrainingResNetSharesAndMatches) {
  checkTraining("resnet_mnist.pbtxt", 4);
}
TEST(BufferSharingTest, TrainingInceptionSharesAndMatches) {
  checkTraining("inception_mnist.pbtxt", 4);
}
TEST(BufferSharingTest, TrainingVggCifarSharesAndMatches) { checkTraining("vgg_cifar.pbtxt", 2); }
TEST(BufferSharingTest, TrainingMlpRegressionSharesAndMatches) {
  checkTraining("mlp_regression.pbtxt", 4);
}

TEST(BufferSharingTest, TrainingAutoencoderSharesAndMatches) {
  checkTraining("autoencoder_mnist.pbtxt", 4);
}

TEST(BufferSharingTest, TrainingKeepsOnlyWhatTheCallerReads) {
  auto p = model("lenet5_keras.pbtxt");
  TrainingRun shared(p, true, 4), own(p, false, 4);
  EXPECT_EQ(shared.plan->readValue("logits"), own.plan->readValue("logits"));
  EXPECT_EQ(shared.plan->readValue("accuracy"), own.plan->readValue("accuracy"));
  // relu1: read by its own backward call, then its bytes take gradients;
  // pool2: read by Flatten only.
  for (const char* name : {"relu1", "pool2"}) {
    EXPECT_THROW(shared.plan->readValue(name), UsageError) << name;
    EXPECT_NO_THROW(own.plan->readValue(name)) << name;
  }
  // Gradients of node outputs share too; the parameters' never do.
  EXPECT_THROW(shared.plan->readGrad("pool2"), UsageError);
  EXPECT_NO_THROW(own.plan->readGrad("pool2"));
  EXPECT_EQ(shared.plan->readGrad("conv1.w"), own.plan->readGrad("conv1.w"));
}

TEST(BufferSharingTest, BackwardReadsNamesPorts) {
  for (const auto& [name, def] : ops::registry().all()) {
    if (!def->backwardReadPorts()) continue;
    for (const std::string& port : *def->backwardReadPorts()) {
      bool found = false;
      for (const PortDef& d : def->inputs()) found |= d.name == port;
      for (const PortDef& d : def->outputs()) found |= d.name == port;
      EXPECT_TRUE(found) << name << ": backwardReads names no port '" << port << "'";
    }
  }
}

}  // namespace
}  // namespace tapeflow
