// tests/ops/binary_cross_entropy_with_logits_test.cpp - against the textbook
// formula in long double (both reductions), extreme logits, gradients,
// finite differences, rejections.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/support/loss_checks.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

const testing::LossMath kBce{
    "BinaryCrossEntropyWithLogits",
    {},
    [](double x, double t) { return reference::binaryCrossEntropy(x, t); },
    [](double x, double t) { return sigmoid(x) - t; },
    [](double x, double) { return -x; },
    -4.f, 4.f, 0.f, 1.f};

TEST(BinaryCrossEntropyWithLogitsTest, ForwardMatchesReference) {
  testing::checkLossForward(kBce);
}

TEST(BinaryCrossEntropyWithLogitsTest, ExtremeLogitsStayFinite) {
  HostTensor x{{4}, {100.f, -100.f, 100.f, -100.f}};
  HostTensor t{{4}, {1.f, 0.f, 0.f, 1.f}};
  testing::OneOpPlan p("BinaryCrossEntropyWithLogits",
                       {{"reduction", AttrValue::ofString("sum")}}, {x, t},
                       Mode::Training);
  auto g = p.gradients({0}, {1.f});
  EXPECT_NEAR(p.plan->readValue("out0")[0], 200.f, 1e-3f);  // 0 + 0 + 100 + 100
  testing::expectClose(g[0], {0.f, 0.f, 1.f, -1.f}, 1e-6, "gradient");
}

TEST(BinaryCrossEntropyWithLogitsTest, GradientsMatchReference) {
  testing::checkLossGradients(kBce);
}

TEST(BinaryCrossEntropyWithLogitsTest, GradientMatchesFiniteDifferences) {
  HostTensor x = testing::randomTensor({3, 13}, 21, -3.f, 3.f);
  HostTensor t = testing::randomTensor({3, 13}, 22, 0.f, 1.f);
  testing::checkLossFiniteDifferences(kBce, x, t);
}

TEST(BinaryCrossEntropyWithLogitsTest, Rejections) {
  testing::checkLossRejects(kBce, "logits");
}

}  // namespace
}  // namespace tapeflow
