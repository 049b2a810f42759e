// tests/ops/sqrt_test.cpp - Sqrt against a naive loop (plain and blocked),
// gradients by finite differences, literal values and rejections.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/support/reference_math.h"
#include "tests/support/unary_checks.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

const testing::UnaryMath kSqrt{"Sqrt", {}, [](double v) { return std::sqrt(v); }, 0.5f, 4.f};

TEST(SqrtTest, ForwardMatchesReference) { testing::checkUnaryForward(kSqrt); }

TEST(SqrtTest, GradientMatchesFiniteDifferences) {
  testing::checkUnaryGradient(kSqrt);
}

TEST(SqrtTest, RejectsUnknownAttributeAndIntegerInput) {
  testing::checkUnaryRejects(kSqrt);
}

TEST(SqrtTest, LiteralValues) {
  auto y = testing::runOp("Sqrt", {}, {HostTensor{{3}, {0.f, 4.f, 2.25f}}});
  testing::expectClose(y[0].data, {0.f, 2.f, 1.5f}, 1e-6, "sqrt");
}

}  // namespace
}  // namespace tapeflow
