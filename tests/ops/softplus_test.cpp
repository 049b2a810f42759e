// tests/ops/softplus_test.cpp - Softplus against a naive loop (plain and blocked),
// gradients by finite differences, extreme inputs and rejections.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/support/reference_math.h"
#include "tests/support/unary_checks.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

const testing::UnaryMath kSoftplus{"Softplus", {}, [](double v) { return reference::softplus(v); }, -4.f, 4.f};

TEST(SoftplusTest, ForwardMatchesReference) { testing::checkUnaryForward(kSoftplus); }

TEST(SoftplusTest, GradientMatchesFiniteDifferences) {
  testing::checkUnaryGradient(kSoftplus);
}

TEST(SoftplusTest, RejectsUnknownAttributeAndIntegerInput) {
  testing::checkUnaryRejects(kSoftplus);
}

TEST(SoftplusTest, LargeInputsDoNotOverflow) {
  auto y = testing::runOp("Softplus", {},
                          {HostTensor{{3}, {100.f, -100.f, 0.f}}});
  EXPECT_NEAR(y[0].data[0], 100.f, 1e-4f);
  EXPECT_NEAR(y[0].data[1], 0.f, 1e-6f);
  EXPECT_NEAR(y[0].data[2], std::log(2.f), 1e-6f);
}

}  // namespace
}  // namespace tapeflow
