// tests/ops/max_test.cpp - Max against the broadcasting reference, its
// gradients (to the selected input, through the engine's unbroadcast; finite
// differences away from ties), blocked layouts, ties, the rejections.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "tests/support/binary_harness.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

const testing::BinaryMath kMax{
    "Max", [](float a, float b) { return std::max(a, b); },
    [](float a, float b) { return a >= b ? 1.f : 0.f; },  // d/da (ties: a)
    [](float a, float b) { return a >= b ? 0.f : 1.f; },  // d/db
    -1.f, 1.f};

TEST(MaxTest, ForwardMatchesReference) { testing::checkBinaryForward(kMax); }

TEST(MaxTest, LiteralGolden) {
  HostTensor a{{2, 3}, {1, 5, 3, -4, 0, 6}};
  HostTensor b{{3}, {2, 2, 2}};
  auto y = testing::runOp("Max", {}, {a, b});
  std::vector<float> want;
  for (float v : a.data) want.push_back(std::max(v, 2.f));
  testing::expectClose(y[0].data, want, 1e-6, "golden");
}

TEST(MaxTest, GradientsOfBroadcastInputsMatchReference) {
  testing::checkBinaryBroadcasting(kMax);
}

TEST(MaxTest, BlockedInputsMatchReference) {
  testing::checkBinaryBlocked(kMax);
}

TEST(MaxTest, TiesSendTheGradientToA) { testing::checkTiesSendTheGradientToA(kMax); }

TEST(MaxTest, SameValueForBothInputsGetsTheWholeGradient) {
  testing::checkSameInput(kMax);
}

TEST(MaxTest, GradientMatchesFiniteDifferences) {
  testing::checkGradientAwayFromTies(kMax);
}

TEST(MaxTest, RejectsIncompatibleBroadcast) {
  testing::checkBinaryRejectsBroadcast(kMax);
}

TEST(MaxTest, RejectsIntegerInput) {
  testing::checkBinaryRejectsIntegers(kMax);
}

}  // namespace
}  // namespace tapeflow
