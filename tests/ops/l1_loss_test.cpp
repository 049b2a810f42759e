// tests/ops/l1_loss_test.cpp - L1Loss against a naive loop (both
// reductions), its gradients (sign, 0 at ties), finite differences away from
// the kink, rejections.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/support/loss_checks.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

double sign(double v) { return v > 0 ? 1.0 : (v < 0 ? -1.0 : 0.0); }

const testing::LossMath kL1{
    "L1Loss", {}, [](double p, double t) { return std::fabs(p - t); },
    [](double p, double t) { return sign(p - t); },
    [](double p, double t) { return -sign(p - t); }};

TEST(L1LossTest, ForwardMatchesReference) { testing::checkLossForward(kL1); }

TEST(L1LossTest, LiteralGolden) {
  auto y = testing::runOp("L1Loss", {{"reduction", AttrValue::ofString("sum")}},
                          {HostTensor{{3}, {1.f, 2.f, 3.f}},
                           HostTensor{{3}, {1.5f, 2.f, 0.f}}});
  EXPECT_NEAR(y[0].data[0], 3.5f, 1e-6f);
}

TEST(L1LossTest, GradientsMatchReferenceAndTiesGetZero) {
  testing::checkLossGradients(kL1);
  testing::OneOpPlan p("L1Loss", {},
                       {HostTensor{{2}, {1.f, 2.f}}, HostTensor{{2}, {1.f, 0.f}}},
                       Mode::Training);
  auto g = p.gradients({0}, {2.f});
  EXPECT_EQ(g[0], (std::vector<float>{0.f, 1.f}));
}

TEST(L1LossTest, GradientMatchesFiniteDifferences) {
  // Targets at least 0.05 away from pred: no kink within a step.
  HostTensor p = testing::randomTensor({3, 13}, 21);
  HostTensor t = testing::randomTensor({3, 13}, 22);
  for (size_t i = 0; i < t.data.size(); ++i)
    if (std::fabs(p.data[i] - t.data[i]) < 0.05f) t.data[i] = p.data[i] + 0.1f;
  testing::checkLossFiniteDifferences(kL1, p, t);
}

TEST(L1LossTest, Rejections) { testing::checkLossRejects(kL1, "pred"); }

}  // namespace
}  // namespace tapeflow
