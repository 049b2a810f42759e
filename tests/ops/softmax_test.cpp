// tests/ops/softmax_test.cpp - Softmax against a naive loop on several axes,
// extreme logits, gradients, axis checks.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/support/op_harness.h"
#include "tests/support/softmax_checks.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

TEST(SoftmaxTest, ForwardMatchesReference) {
  testing::checkSoftmaxForward("Softmax", /*log=*/false, [](float want) {
    return 1e-4f * want + 1e-7f;
  });
}

TEST(SoftmaxTest, DefaultAxisIsLast) {
  // Rows of [2,3] sum to 1: softmax([0, ln 2, ln 5]) = [1/8, 2/8, 5/8].
  HostTensor x{{2, 3}, {0.f, std::log(2.f), std::log(5.f), 1.f, 1.f, 1.f}};
  auto y = testing::runOp("Softmax", {}, {x});
  std::vector<float> want{0.125f, 0.25f, 0.625f, 1 / 3.f, 1 / 3.f, 1 / 3.f};
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(y[0].data[i], want[i], 1e-6f);
}

TEST(SoftmaxTest, ExtremeLogitsStayFinite) {
  HostTensor x{{2, 3}, {1e4f, -1e4f, 0.f, -1e4f, -1e4f, -1e4f}};
  auto y = testing::runOp("Softmax", {}, {x}, /*training=*/true);
  for (float v : y[0].data) ASSERT_TRUE(std::isfinite(v));
  EXPECT_EQ(y[0].data[0], 1.f);
  EXPECT_EQ(y[0].data[1], 0.f);
  EXPECT_EQ(y[0].data[2], 0.f);
  for (int i = 3; i < 6; ++i) EXPECT_NEAR(y[0].data[i], 1 / 3.f, 1e-6f);
}

TEST(SoftmaxTest, GradientMatchesFiniteDifferences) {
  testing::checkSoftmaxGradient("Softmax", SampleCase{});  // smooth: no kink
}

TEST(SoftmaxTest, RejectsAxisOutOfRange) {
  testing::checkSoftmaxRejectsAxis("Softmax", {2, 3});
}

}  // namespace
}  // namespace tapeflow
