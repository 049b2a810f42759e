// tests/ops/min_test.cpp - Min against the broadcasting reference, its
// gradients (to the selected input, through the engine's unbroadcast; finite
// differences away from ties), blocked layouts, ties, the rejections.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "tests/support/binary_harness.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

const testing::BinaryMath kMin{
    "Min", [](float a, float b) { return std::min(a, b); },
    [](float a, float b) { return a <= b ? 1.f : 0.f; },  // d/da (ties: a)
    [](float a, float b) { return a <= b ? 0.f : 1.f; },  // d/db
    -1.f, 1.f};

TEST(MinTest, ForwardMatchesReference) { testing::checkBinaryForward(kMin); }

TEST(MinTest, LiteralGolden) {
  HostTensor a{{2, 3}, {1, 5, 3, -4, 0, 6}};
  HostTensor b{{3}, {2, 2, 2}};
  auto y = testing::runOp("Min", {}, {a, b});
  std::vector<float> want;
  for (float v : a.data) want.push_back(std::min(v, 2.f));
  testing::expectClose(y[0].data, want, 1e-6, "golden");
}

TEST(MinTest, GradientsOfBroadcastInputsMatchReference) {
  testing::checkBinaryBroadcasting(kMin);
}

TEST(MinTest, BlockedInputsMatchReference) {
  testing::checkBinaryBlocked(kMin);
}

TEST(MinTest, TiesSendTheGradientToA) { testing::checkTiesSendTheGradientToA(kMin); }

TEST(MinTest, SameValueForBothInputsGetsTheWholeGradient) {
  testing::checkSameInput(kMin);
}

TEST(MinTest, GradientMatchesFiniteDifferences) {
  testing::checkGradientAwayFromTies(kMin);
}

TEST(MinTest, RejectsIncompatibleBroadcast) {
  testing::checkBinaryRejectsBroadcast(kMin);
}

TEST(MinTest, RejectsIntegerInput) {
  testing::checkBinaryRejectsIntegers(kMin);
}

}  // namespace
}  // namespace tapeflow
