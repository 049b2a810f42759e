// tests/ops/sub_test.cpp - Sub against the broadcasting reference, its
// gradients (finite differences and through the engine's unbroadcast),
// blocked layouts, a literal golden and the rejections.
#include <gtest/gtest.h>

#include "tests/support/binary_harness.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

const testing::BinaryMath kSub{
    "Sub", [](float a, float b) { return a - b; },
    [](float, float) { return 1.f; },  // d/da
    [](float, float) { return -1.f; },  // d/db
    -1.f, 1.f};

TEST(SubTest, ForwardMatchesReference) { testing::checkBinaryForward(kSub); }

TEST(SubTest, LiteralGolden) {
  HostTensor a{{2, 3}, {1, 2, 3, 4, 5, 6}};
  HostTensor b{{3}, {10, 20, 30}};
  auto y = testing::runOp("Sub", {}, {a, b});
  EXPECT_EQ(y[0].dims, (Dims{2, 3}));
  testing::expectClose(y[0].data, {-9, -18, -27, -6, -15, -24}, 1e-6, "golden");
}

TEST(SubTest, GradientMatchesFiniteDifferences) {
  testing::checkBinaryGradient(kSub);
}

TEST(SubTest, GradientsOfBroadcastInputsMatchReference) {
  testing::checkBinaryBroadcasting(kSub);
}

TEST(SubTest, BlockedInputsKeepTheirLayoutOrFallBackToPlain) {
  testing::checkBinaryBlocked(kSub);
}

TEST(SubTest, SameValueForBothInputsAccumulatesBothGradients) {
  // x - x: the two contributions cancel, the gradient is 0
  testing::checkSameInput(kSub);
}

TEST(SubTest, CountsOneFlopPerOutputElement) {
  testing::checkBinaryFlops(kSub);
}

TEST(SubTest, RejectsIncompatibleBroadcast) {
  testing::checkBinaryRejectsBroadcast(kSub);
}

TEST(SubTest, RejectsIntegerInput) {
  testing::checkBinaryRejectsIntegers(kSub);
}

}  // namespace
}  // namespace tapeflow
