// tests/core/norm_fusion_test.cpp - a Relu after a BatchNorm folds into the
// BatchNorm (fuse_norm_relu, OpDef::foldsRelu): the same outputs, gradients
// (params and input) and running statistics as the unfused plan, in
// training and inference plans; the plan really folds it, and does not
// where the BatchNorm output is read by anything else.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

#include "core/dnnl_context.h"
#include "core/param_store.h"
#include "core/plan.h"
#include "frontends/pbtxt/pbtxt_loader.h"
#include "ops/registry.h"
#include "tests/support/expect.h"

namespace tapeflow {
namespace {

// conv1 -> bn1 -> relu1 -> conv2 -> bn2 -> relu2 (y). 6 channels (not a
// multiple of the 8-channel blocks the convolutions choose) and 16.
const char* kConvBnRelu = R"(
format_version: 1
name: "conv_bn_relu"
input { name: "x" dtype: F32 shape: [-1, 3, 7, 7] }
param { name: "c1.w" shape: [6, 3, 3, 3] init { kind: "he_uniform" } }
param { name: "bn1.scale" shape: [6] init { kind: "uniform" low: 0.5 high: 1.5 } }
param { name: "bn1.shift" shape: [6] init { kind: "uniform" low: -0.5 high: 0.5 } }
param { name: "bn1.mean" shape: [6] constant: true init { kind: "uniform" low: -0.2 high: 0.2 } }
param { name: "bn1.var" shape: [6] constant: true init { kind: "uniform" low: 0.5 high: 2 } }
param { name: "c2.w" shape: [16, 6, 3, 3] init { kind: "he_uniform" } }
param { name: "bn2.scale" shape: [16] init { kind: "uniform" low: 0.5 high: 1.5 } }
param { name: "bn2.shift" shape: [16] init { kind: "uniform" low: -0.5 high: 0.5 } }
param { name: "bn2.mean" shape: [16] constant: true init { kind: "uniform" low: -0.2 high: 0.2 } }
param { name: "bn2.var" shape: [16] constant: true init { kind: "uniform" low: 0.5 high: 2 } }
node { name: "conv1" op: "Conv2D" input: ["x", "c1.w"] output: "c1" attr { name: "padding" s: "SAME" } }
node { name: "bn1" op: "BatchNorm" input: ["c1", "bn1.scale", "bn1.shift", "bn1.mean", "bn1.var"] output: "b1" }
node { name: "relu1" op: "Relu" input: "b1" output: "r1" }
node { name: "conv2" op: "Conv2D" input: ["r1", "c2.w"] output: "c2" attr { name: "padding" s: "SAME" } }
node { name: "bn2" op: "BatchNorm" input: ["c2", "bn2.scale", "bn2.shift", "bn2.mean", "bn2.var"] output: "b2" }
node { name: "relu2" op: "Relu" input: "b2" output: "y" }
output: "y"
)";

std::shared_ptr<const Program> parse(const std::string& text) {
  return Program::build(parseGraphText(text, "<test>"), ops::registry());
}

/// One plan with its own parameters (same seed: same values in every run):
/// forward, in training a backward from a random gradient of y, then y,
/// every gradient of a param or input, and every param (running
/// statistics moved by training) as plain floats.
struct PlanRun {
  std::unique_ptr<ParamStore> store;
  std::unique_ptr<Plan> plan;
  std::map<std::string, std::vector<float>> values;

  PlanRun(std::shared_ptr<const Program> p, Mode mode, bool fuse,
      std::vector<std::string> outputs = {}) {
    store = std::make_unique<ParamStore>(p);
    store->initialize(5);
    PlanOptions o;
    o.mode = mode;
    o.batch = 8;
    o.fuse = fuse;
    o.inputGrads = true;
    o.outputs = std::move(outputs);
    if (mode == Mode::Training) o.gradTargets = {"y"};
    plan = std::make_unique<Plan>(p, *store, o);
    Rng rng(9);
    dnnl::memory& x = plan->inputMemory("x");
    for (size_t i = 0; i < x.get_desc().get_size() / 4; ++i)
      hostPtr(x)[i] = 2.f * rng.uniform() - 1.f;
    plan->forward();
    values["y"] = plan->readValue("y");
    if (mode == Mode::Training) {
      std::vector<float> g(values["y"].size());
      for (float& v : g) v = 2.f * rng.uniform() - 1.f;
      plan->seedGrad("y", g.data());
      plan->backward();
      for (int v = 0; v < int(p->values().size()); ++v)
        if (p->value(v).kind != ValueKind::NodeOutput && plan->valueNeedsGrad(v))
          values["d " + p->value(v).name] = plan->readGrad(p->value(v).name);
    }
    for (int k = 0; k < store->numParams(); ++k)
      values[store->def(k).name] =
          std::vector<float>(store->data(k), store->data(k) + store->size(k));
  }

  int node(const std::string& name) const {
    const auto& nodes = plan->program().graph().nodes;
    for (size_t n = 0; n < nodes.size(); ++n)
      if (nodes[n].name == name) return int(n);
    return -1;
  }
};

// NOTE: the fused BatchNorm's kernels sum the batch statistics and the
// gradient reductions in their own order, so values agree to rounding, as
// in the chain fusion tests (tests/core/chain_fusion_test.cpp).
void expectClose(const PlanRun& fused, const PlanRun& plain, double tol, double gradTol) {
  testing::expectNormClose(fused.values, plain.values, tol, gradTol);
}

void expectFolded(const PlanRun& r, bool folded) {
  for (const char* pair : {"1", "2"}) {
    const int bn = r.node(std::string("bn") + pair), relu = r.node(std::string("relu") + pair);
    ASSERT_GE(relu, 0);
    EXPECT_EQ(r.plan->fused(relu), folded) << "relu" << pair;
    if (!folded) continue;
    EXPECT_EQ(r.plan->fusedInto(relu), bn);
    EXPECT_FALSE(r.plan->runsBackward(relu)) << "the BatchNorm's backward covers it";
  }
}

TEST(NormFusionTest, TrainingMatchesUnfused) {
  auto p = parse(kConvBnRelu);
  PlanRun fused(p, Mode::Training, true), plain(p, Mode::Training, false);
  expectFolded(fused, true);
  expectFolded(plain, false);
  EXPECT_TRUE(fused.plan->runsBackward(fused.node("bn1")));
  EXPECT_TRUE(fused.values.count("d x") && fused.values.count("d bn2.scale"));
  int zeros = 0;
  for (float v : plain.values["y"]) zeros += v == 0.f;
  ASSERT_GT(zeros, 0) << "the relu must clip something";
  expectClose(fused, plain, 1e-6, 4e-6);
}

TEST(NormFusionTest, InferenceMatchesUnfused) {
  auto p = parse(kConvBnRelu);
  PlanRun fused(p, Mode::Inference, true), plain(p, Mode::Inference, false);
  expectFolded(fused, true);
  expectFolded(plain, false);
  expectClose(fused, plain, 1e-6, 0);
}

TEST(NormFusionTest, RequestedBatchNormOutputStaysUnfolded) {
  auto p = parse(kConvBnRelu);
  PlanRun r(p, Mode::Training, true, {"y", "b1"});
  EXPECT_FALSE(r.plan->fused(r.node("relu1")));
  EXPECT_TRUE(r.plan->fused(r.node("relu2")));
  PlanRun plain(p, Mode::Training, false, {"y", "b1"});
  expectClose(r, plain, 1e-6, 4e-6);
}

TEST(NormFusionTest, LeakyReluAndSecondConsumerStayUnfolded) {
  std::string text = kConvBnRelu;
  auto swap = [&](const std::string& from, const std::string& to) {
    text.replace(text.find(from), from.size(), to);
  };
  // relu1 becomes a LeakyRelu (not what fuse_norm_relu computes); b2 is
  // also a graph output.
  swap(R"(name: "relu1" op: "Relu" input: "b1" output: "r1" })",
       R"(name: "relu1" op: "LeakyRelu" input: "b1" output: "r1" attr { name: "alpha" f: 0.1 } })");
  swap("output: \"y\"\n", "output: \"y\"\noutput: \"b2\"\n");
  auto p = parse(text);
  PlanRun r(p, Mode::Training, true);
  EXPECT_FALSE(r.plan->fused(r.node("relu1")));
  EXPECT_FALSE(r.plan->fused(r.node("relu2")));
}

}  // namespace
}  // namespace tapeflow
