// tests/ops/log_test.cpp - Log against a naive loop (plain and blocked),
// gradients by finite differences, the values outside the domain and rejections.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/support/reference_math.h"
#include "tests/support/unary_checks.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

const testing::UnaryMath kLog{"Log", {}, [](double v) { return std::log(v); }, 0.5f, 4.f};

TEST(LogTest, ForwardMatchesReference) { testing::checkUnaryForward(kLog); }

TEST(LogTest, GradientMatchesFiniteDifferences) {
  testing::checkUnaryGradient(kLog);
}

TEST(LogTest, RejectsUnknownAttributeAndIntegerInput) {
  testing::checkUnaryRejects(kLog);
}

TEST(LogTest, ZeroGivesMinusInfinityAndNegativeGivesNaN) {
  auto y = testing::runOp("Log", {}, {HostTensor{{3}, {0.f, -1.f, 1.f}}});
  EXPECT_TRUE(std::isinf(y[0].data[0]) && y[0].data[0] < 0);
  EXPECT_TRUE(std::isnan(y[0].data[1]));
  EXPECT_NEAR(y[0].data[2], 0.f, 1e-5f);  // oneDNN's log is good to ~1e-6
}

}  // namespace
}  // namespace tapeflow
