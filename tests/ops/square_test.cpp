// tests/ops/square_test.cpp - Square against a naive loop (plain and blocked),
// gradients by finite differences, literal values and rejections.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/support/reference_math.h"
#include "tests/support/unary_checks.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

const testing::UnaryMath kSquare{"Square", {}, [](double v) { return v * v; }, -2.f, 2.f};

TEST(SquareTest, ForwardMatchesReference) { testing::checkUnaryForward(kSquare); }

TEST(SquareTest, GradientMatchesFiniteDifferences) {
  testing::checkUnaryGradient(kSquare);
}

TEST(SquareTest, RejectsUnknownAttributeAndIntegerInput) {
  testing::checkUnaryRejects(kSquare);
}

TEST(SquareTest, LiteralValues) {
  auto y = testing::runOp("Square", {}, {HostTensor{{3}, {-3.f, 0.5f, 0.f}}});
  testing::expectClose(y[0].data, {9.f, 0.25f, 0.f}, 1e-6, "square");
}

}  // namespace
}  // namespace tapeflow
