// tests/ops/abs_test.cpp - Abs against a naive loop (plain and blocked),
// gradients by finite differences, the subgradient at 0 and rejections.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/support/reference_math.h"
#include "tests/support/unary_checks.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

const testing::UnaryMath kAbs{"Abs", {}, [](double v) { return std::fabs(v); }, -1.f, 1.f, 0.f, 0.02f};

TEST(AbsTest, ForwardMatchesReference) { testing::checkUnaryForward(kAbs); }

TEST(AbsTest, GradientMatchesFiniteDifferences) {
  testing::checkUnaryGradient(kAbs);
}

TEST(AbsTest, RejectsUnknownAttributeAndIntegerInput) {
  testing::checkUnaryRejects(kAbs);
}

TEST(AbsTest, ZeroHasZeroGradient) {
  testing::OneOpPlan p("Abs", {}, {HostTensor{{3}, {-2.f, 0.f, 3.f}}},
                       Mode::Training);
  auto g = p.gradients({0}, {1.f, 1.f, 1.f});
  EXPECT_EQ(g[0], (std::vector<float>{-1.f, 0.f, 1.f}));
}

}  // namespace
}  // namespace tapeflow
