// tests/ops/huber_loss_test.cpp - HuberLoss against a naive loop (both
// reductions, several deltas), its gradients, finite differences, rejections.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "tests/support/loss_checks.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

testing::LossMath huberOf(float delta) {
  auto clampd = [delta](double p, double t) {
    return std::clamp(p - t, -double(delta), double(delta));
  };
  return {"HuberLoss",
          {{"delta", AttrValue::ofFloat(delta)}},
          [delta](double p, double t) { return reference::huber(p, t, delta); },
          clampd,
          [clampd](double p, double t) { return -clampd(p, t); }};
}

TEST(HuberLossTest, ForwardMatchesReference) {
  for (float delta : {1.f, 0.5f, 3.f}) {
    SCOPED_TRACE(delta);
    testing::checkLossForward(huberOf(delta));
  }
}

TEST(HuberLossTest, DefaultDeltaIsOne) {
  HostTensor p{{3}, {0.f, 0.f, 0.f}};
  HostTensor t{{3}, {0.5f, -3.f, 1.f}};
  auto y = testing::runOp("HuberLoss", {}, {p, t});
  EXPECT_NEAR(y[0].data[0], (0.125f + 2.5f + 0.5f) / 3.f, 1e-6f);
}

TEST(HuberLossTest, GradientsMatchReference) {
  testing::checkLossGradients(huberOf(1.f));
  testing::checkLossGradients(huberOf(0.3f));
}

TEST(HuberLossTest, GradientMatchesFiniteDifferences) {
  HostTensor p = testing::randomTensor({3, 13}, 21, -2.f, 2.f);
  HostTensor t = testing::randomTensor({3, 13}, 22, -2.f, 2.f);
  testing::checkLossFiniteDifferences(huberOf(1.f), p, t);
}

TEST(HuberLossTest, Rejections) {
  testing::checkLossRejects(huberOf(1.f), "pred");
  for (float bad : {0.f, -1.f, float(INFINITY)})
    testing::expectRejects<AttrError>(
        "HuberLoss", {{"delta", AttrValue::ofFloat(bad)}}, {{2, 3}, {2, 3}},
        "attribute 'delta': must be finite and > 0");
}

}  // namespace
}  // namespace tapeflow
