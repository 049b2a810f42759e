// tests/core/several_losses_test.cpp - a graph with several weighted losses
// (`loss:` repeated, `loss_weight:`): its objective and parameter gradients
// equal those of the same graph whose single loss is the weighted sum built
// from nodes; the text form round-trips; bad declarations are refused with
// their location.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/param_store.h"
#include "core/plan.h"
#include "frontends/pbtxt/pbtxt_loader.h"
#include "ops/registry.h"
#include "tests/support/expect.h"

namespace tapeflow {
namespace {

// A two-headed model: a classifier and a regressor share one hidden layer.
constexpr const char* kBody = R"(format_version: 1
name: "two_heads"
input { name: "x" shape: [-1, 6] }
input { name: "label" dtype: I32 shape: [-1] }
input { name: "target" shape: [-1, 2] }
param { name: "h.w" shape: [5, 6] init { kind: "xavier_uniform" } }
param { name: "c.w" shape: [3, 5] init { kind: "xavier_uniform" } }
param { name: "r.w" shape: [2, 5] init { kind: "xavier_uniform" } }
node { name: "h" op: "Linear" input: ["x", "h.w"] output: "h" }
node { name: "t" op: "Tanh" input: "h" output: "t" }
node { name: "c" op: "Linear" input: ["t", "c.w"] output: "logits" }
node { name: "r" op: "Linear" input: ["t", "r.w"] output: "pred" }
node { name: "ce" op: "SoftmaxCrossEntropy" input: ["logits", "label"] output: "ce" }
node { name: "mse" op: "MeanSquaredError" input: ["pred", "target"] output: "mse" }
output: "mse"
)";

constexpr const char* kSeveral = R"(
loss: "ce"
loss: "mse"
loss_weight: [1, 0.25]
)";

// The same objective written with nodes: ce + 0.25 * mse.
constexpr const char* kSummed = R"(
param { name: "quarter" shape: [] constant: true data: [0.25] }
node { name: "scaled" op: "Mul" input: ["mse", "quarter"] output: "scaled" }
node { name: "total" op: "Add" input: ["ce", "scaled"] output: "total" }
loss: "total"
)";

std::shared_ptr<const Program> build(const std::string& text) {
  return Program::build(parseGraphText(text, "g.pbtxt"), ops::registry());
}

struct Step {
  float objective = 0;
  std::vector<std::vector<float>> grads;  ///< per trainable param
};

Step step(std::shared_ptr<const Program> p) {
  ParamStore store(p);
  store.initialize(5);
  PlanOptions o;
  o.batch = 4;
  Plan plan(p, store, o);
  Rng rng(9);
  float* x = hostPtr(plan.inputMemory("x"));
  for (int i = 0; i < 24; ++i) x[i] = rng.uniform() * 2 - 1;
  float* t = hostPtr(plan.inputMemory("target"));
  for (int i = 0; i < 8; ++i) t[i] = rng.uniform() * 4 - 2;
  int32_t* y = hostPtr<int32_t>(plan.inputMemory("label"));
  for (int i = 0; i < 4; ++i) y[i] = int32_t(rng.next() % 3);
  plan.forward();
  plan.backward();
  Step s;
  s.objective = plan.readScalar(p->value(p->lossValue()).name);
  for (int k = 0; k < store.numParams(); ++k)
    if (store.def(k).trainable)
      s.grads.emplace_back(store.gradData(k), store.gradData(k) + store.size(k));
  return s;
}

TEST(SeveralLossesTest, GradientIsTheWeightedSumOfTheLosses) {
  auto several = build(std::string(kBody) + kSeveral);
  auto summed = build(std::string(kBody) + kSummed);
  Step a = step(several), b = step(summed);
  EXPECT_NEAR(a.objective, b.objective, 1e-6f);
  ASSERT_EQ(a.grads.size(), 3u);
  ASSERT_EQ(a.grads.size(), b.grads.size());
  for (size_t k = 0; k < a.grads.size(); ++k)
    for (size_t i = 0; i < a.grads[k].size(); ++i)
      EXPECT_NEAR(a.grads[k][i], b.grads[k][i], 1e-6f) << "param " << k << " [" << i << "]";
  // The regressor's weights get only the MSE's share: 0.25 of its gradient.
  auto mseOnly = build(std::string(kBody) + "loss: \"mse\"\n");
  Step c = step(mseOnly);
  for (size_t i = 0; i < a.grads[2].size(); ++i)
    EXPECT_NEAR(a.grads[2][i], 0.25f * c.grads[2][i], 1e-6f) << i;
}

TEST(SeveralLossesTest, ObjectiveIsAWeightedSumNodeAndEachLossIsATerm) {
  auto p = build(std::string(kBody) + kSeveral);
  const ValueInfo& objective = p->value(p->lossValue());
  EXPECT_EQ(objective.name, "objective");
  EXPECT_EQ(p->graph().nodes.back().op, "WeightedSum");
  EXPECT_EQ(p->attrs(p->numNodes() - 1).at("weights").floats, (std::vector<float>{1.f, 0.25f}));
  ASSERT_EQ(p->lossTerms().size(), 2u);
  EXPECT_EQ(p->value(p->lossTerms()[0]).name, "ce");
  EXPECT_EQ(p->value(p->lossTerms()[1]).name, "mse");
  // A single loss is its own objective and only term.
  auto one = build(std::string(kBody) + "loss: \"ce\"\n");
  ASSERT_EQ(one->lossTerms().size(), 1u);
  EXPECT_EQ(one->lossTerms()[0], one->lossValue());
  EXPECT_EQ(one->value(one->lossValue()).name, "ce");
}

TEST(SeveralLossesTest, ObjectiveNameAvoidsTakenNames) {
  std::string text = std::string(kBody) +
                     "node { name: \"objective\" op: \"Identity\" input: \"ce\" output: "
                     "\"objective_1\" }\n" +
                     kSeveral;
  auto p = build(text);
  EXPECT_EQ(p->value(p->lossValue()).name, "objective_2");
}

TEST(SeveralLossesTest, TextFormRoundTrips) {
  Graph g = parseGraphText(std::string(kBody) + kSeveral, "g.pbtxt");
  ASSERT_EQ(g.losses.size(), 2u);
  EXPECT_EQ(g.loss, "ce");
  EXPECT_EQ(g.losses[1].name, "mse");
  EXPECT_FLOAT_EQ(g.losses[1].weight, 0.25f);
  EXPECT_EQ(g.losses[1].loc.line, 18);
  Graph back = parseGraphText(graphToText(g), "h.pbtxt");
  ASSERT_EQ(back.losses.size(), 2u);
  EXPECT_EQ(back.losses[0].name, "ce");
  EXPECT_FLOAT_EQ(back.losses[0].weight, 1.f);
  EXPECT_FLOAT_EQ(back.losses[1].weight, 0.25f);
  // One loss without a weight stays the plain form.
  Graph one = parseGraphText(std::string(kBody) + "loss: \"ce\"\n", "g.pbtxt");
  EXPECT_TRUE(one.losses.empty());
  EXPECT_EQ(graphToText(one).find("loss_weight"), std::string::npos);
}

TEST(SeveralLossesTest, RejectsBadDeclarations) {
  testing::expectThrowWith<ParseError>(
      [&] { build(std::string(kBody) + "loss: \"ce\"\nloss: \"mse\"\nloss_weight: [1]\n"); },
      "g.pbtxt:18:1: error: loss_weight has 1 values for 2 losses; give one weight per loss");
  testing::expectThrowWith<GraphError>(
      [&] { build(std::string(kBody) + "loss: \"ce\"\nloss: \"mse\"\nloss_weight: [1, -2]\n"); },
      "g.pbtxt:17:7: error: loss 'mse' has weight -2; a loss weight must be finite and >= 0");
  testing::expectThrowWith<GraphError>(
      [&] { build(std::string(kBody) + "loss: \"ce\"\nloss: \"ce\"\n"); },
      "g.pbtxt:17:7: error: loss 'ce' is declared twice");
  testing::expectThrowWith<GraphError>(
      [&] { build(std::string(kBody) + "loss: \"ce\"\nloss: \"pred\"\n"); },
      "g.pbtxt:17:7: error: loss 'pred' must be an f32 scalar, found f32 [N,2]");
  testing::expectThrowWith<GraphError>(
      [&] { build(std::string(kBody) + "loss: \"ce\"\nloss: \"nope\"\n"); },
      "g.pbtxt:17:7: error: loss 'nope' is not produced by any node, input or param");
}

}  // namespace
}  // namespace tapeflow
