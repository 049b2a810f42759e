// tests/ops/neg_test.cpp - Neg against a naive loop (plain and blocked),
// gradients by finite differences, a literal gradient and rejections.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/support/reference_math.h"
#include "tests/support/unary_checks.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

const testing::UnaryMath kNeg{"Neg", {}, [](double v) { return -v; }};

TEST(NegTest, ForwardMatchesReference) { testing::checkUnaryForward(kNeg); }

TEST(NegTest, GradientMatchesFiniteDifferences) {
  testing::checkUnaryGradient(kNeg);
}

TEST(NegTest, RejectsUnknownAttributeAndIntegerInput) {
  testing::checkUnaryRejects(kNeg);
}

TEST(NegTest, GradientIsMinusSeed) {
  testing::OneOpPlan p("Neg", {}, {HostTensor{{2}, {1.f, -2.f}}},
                       Mode::Training);
  auto g = p.gradients({0}, {0.5f, -3.f});
  EXPECT_EQ(g[0], (std::vector<float>{-0.5f, 3.f}));
}

}  // namespace
}  // namespace tapeflow
