// tests/ops/mul_test.cpp - Mul against the broadcasting reference, its
// gradients (finite differences and through the engine's unbroadcast),
// blocked layouts, a literal golden and the rejections.
#include <gtest/gtest.h>

#include "tests/support/binary_harness.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

const testing::BinaryMath kMul{
    "Mul", [](float a, float b) { return a * b; },
    [](float, float b) { return b; },  // d/da
    [](float a, float) { return a; },  // d/db
    -1.f, 1.f};

TEST(MulTest, ForwardMatchesReference) { testing::checkBinaryForward(kMul); }

TEST(MulTest, LiteralGolden) {
  HostTensor a{{2, 3}, {1, 2, 3, 4, 5, 6}};
  HostTensor b{{3}, {10, 20, 30}};
  auto y = testing::runOp("Mul", {}, {a, b});
  EXPECT_EQ(y[0].dims, (Dims{2, 3}));
  testing::expectClose(y[0].data, {10, 40, 90, 40, 100, 180}, 1e-6, "golden");
}

TEST(MulTest, GradientMatchesFiniteDifferences) {
  testing::checkBinaryGradient(kMul);
}

TEST(MulTest, GradientsOfBroadcastInputsMatchReference) {
  testing::checkBinaryBroadcasting(kMul);
}

TEST(MulTest, BlockedInputsKeepTheirLayoutOrFallBackToPlain) {
  testing::checkBinaryBlocked(kMul);
}

TEST(MulTest, SameValueForBothInputsAccumulatesBothGradients) {
  // x * x: the gradient is 2 * x * dc
  testing::checkSameInput(kMul);
}

TEST(MulTest, CountsOneFlopPerOutputElement) {
  testing::checkBinaryFlops(kMul);
}

TEST(MulTest, RejectsIncompatibleBroadcast) {
  testing::checkBinaryRejectsBroadcast(kMul);
}

TEST(MulTest, RejectsIntegerInput) {
  testing::checkBinaryRejectsIntegers(kMul);
}

}  // namespace
}  // namespace tapeflow
