// tests/ops/add_test.cpp - Add against the broadcasting reference, its
// gradients (finite differences and through the engine's unbroadcast),
// blocked layouts, a literal golden and the rejections.
#include <gtest/gtest.h>

#include "tests/support/binary_harness.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

const testing::BinaryMath kAdd{
    "Add", [](float a, float b) { return a + b; },
    [](float, float) { return 1.f; },  // d/da
    [](float, float) { return 1.f; },  // d/db
    -1.f, 1.f};

TEST(AddTest, ForwardMatchesReference) { testing::checkBinaryForward(kAdd); }

TEST(AddTest, LiteralGolden) {
  HostTensor a{{2, 3}, {1, 2, 3, 4, 5, 6}};
  HostTensor b{{3}, {10, 20, 30}};
  auto y = testing::runOp("Add", {}, {a, b});
  EXPECT_EQ(y[0].dims, (Dims{2, 3}));
  testing::expectClose(y[0].data, {11, 22, 33, 14, 25, 36}, 1e-6, "golden");
}

TEST(AddTest, GradientMatchesFiniteDifferences) {
  testing::checkBinaryGradient(kAdd);
}

TEST(AddTest, GradientsOfBroadcastInputsMatchReference) {
  testing::checkBinaryBroadcasting(kAdd);
}

TEST(AddTest, BlockedInputsKeepTheirLayoutOrFallBackToPlain) {
  testing::checkBinaryBlocked(kAdd);
}

TEST(AddTest, SameValueForBothInputsAccumulatesBothGradients) {
  // x + x: the gradient is 2 * dc
  testing::checkSameInput(kAdd);
}

TEST(AddTest, CountsOneFlopPerOutputElement) {
  testing::checkBinaryFlops(kAdd);
}

TEST(AddTest, RejectsIncompatibleBroadcast) {
  testing::checkBinaryRejectsBroadcast(kAdd);
}

TEST(AddTest, RejectsIntegerInput) {
  testing::checkBinaryRejectsIntegers(kAdd);
}

}  // namespace
}  // namespace tapeflow
