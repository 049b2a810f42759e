// tests/ops/div_test.cpp - Div against the broadcasting reference, its
// gradients (finite differences and through the engine's unbroadcast),
// blocked layouts, a literal golden and the rejections.
#include <gtest/gtest.h>

#include "tests/support/binary_harness.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

const testing::BinaryMath kDiv{
    "Div", [](float a, float b) { return a / b; },
    [](float, float b) { return 1.f / b; },  // d/da
    [](float a, float b) { return -a / (b * b); },  // d/db
    0.5f, 2.f};

TEST(DivTest, ForwardMatchesReference) { testing::checkBinaryForward(kDiv); }

TEST(DivTest, LiteralGolden) {
  HostTensor a{{2, 3}, {1, 2, 3, 4, 5, 6}};
  HostTensor b{{3}, {2, 4, 8}};
  auto y = testing::runOp("Div", {}, {a, b});
  EXPECT_EQ(y[0].dims, (Dims{2, 3}));
  testing::expectClose(y[0].data, {0.5f, 0.5f, 0.375f, 2, 1.25f, 0.75f}, 1e-6, "golden");
}

TEST(DivTest, GradientMatchesFiniteDifferences) {
  testing::checkBinaryGradient(kDiv);
}

TEST(DivTest, GradientsOfBroadcastInputsMatchReference) {
  testing::checkBinaryBroadcasting(kDiv);
}

TEST(DivTest, BlockedInputsKeepTheirLayoutOrFallBackToPlain) {
  testing::checkBinaryBlocked(kDiv);
}

TEST(DivTest, SameValueForBothInputsAccumulatesBothGradients) {
  // x / x: the two contributions cancel, the gradient is 0
  testing::checkSameInput(kDiv);
}

TEST(DivTest, CountsOneFlopPerOutputElement) {
  testing::checkBinaryFlops(kDiv);
}

TEST(DivTest, RejectsIncompatibleBroadcast) {
  testing::checkBinaryRejectsBroadcast(kDiv);
}

TEST(DivTest, RejectsIntegerInput) {
  testing::checkBinaryRejectsIntegers(kDiv);
}

}  // namespace
}  // namespace tapeflow
