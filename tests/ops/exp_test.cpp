// tests/ops/exp_test.cpp - Exp against a naive loop (plain and blocked),
// gradients by finite differences, literal values and rejections.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/support/reference_math.h"
#include "tests/support/unary_checks.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

const testing::UnaryMath kExp{"Exp", {}, [](double v) { return std::exp(v); }, -3.f, 3.f};

TEST(ExpTest, ForwardMatchesReference) { testing::checkUnaryForward(kExp); }

TEST(ExpTest, GradientMatchesFiniteDifferences) {
  testing::checkUnaryGradient(kExp);
}

TEST(ExpTest, RejectsUnknownAttributeAndIntegerInput) {
  testing::checkUnaryRejects(kExp);
}

TEST(ExpTest, LiteralValues) {
  auto y = testing::runOp("Exp", {}, {HostTensor{{3}, {0.f, 1.f, -1.f}}});
  testing::expectClose(y[0].data, {1.f, 2.7182817f, 0.36787945f}, 1e-6, "exp");
}

}  // namespace
}  // namespace tapeflow
