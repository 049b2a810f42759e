// tests/ops/silu_test.cpp - SiLU against a naive loop (plain and blocked),
// gradients by finite differences, Swish with beta 1 and rejections.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/support/reference_math.h"
#include "tests/support/unary_checks.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

const testing::UnaryMath kSiLU{"SiLU", {}, [](double v) { return reference::swish(v, 1.0); }, -4.f, 4.f};

TEST(SiLUTest, ForwardMatchesReference) { testing::checkUnaryForward(kSiLU); }

TEST(SiLUTest, GradientMatchesFiniteDifferences) {
  testing::checkUnaryGradient(kSiLU);
}

TEST(SiLUTest, RejectsUnknownAttributeAndIntegerInput) {
  testing::checkUnaryRejects(kSiLU);
}

TEST(SiLUTest, EqualsSwishWithBetaOne) {
  HostTensor x = testing::randomTensor({3, 13}, 5, -3.f, 3.f);
  auto silu = testing::runOp("SiLU", {}, {x});
  auto swish = testing::runOp("Swish", {{"beta", AttrValue::ofFloat(1.f)}}, {x});
  testing::expectClose(silu[0].data, swish[0].data, 1e-6, "SiLU vs Swish");
}

}  // namespace
}  // namespace tapeflow
