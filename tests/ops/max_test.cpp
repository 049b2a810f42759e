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

TEST(MaxTest, TiesSendTheGradientToA) {
  HostTensor a{{3}, {1.f, 2.f, 3.f}};
  HostTensor b{{3}, {1.f, 2.f, 3.f}};
  testing::OneOpPlan p("Max", {}, {a, b}, Mode::Training);
  auto g = p.gradients({0, 1}, {1.f, 2.f, 3.f});
  EXPECT_EQ(g[0], (std::vector<float>{1.f, 2.f, 3.f}));
  EXPECT_EQ(g[1], (std::vector<float>{0.f, 0.f, 0.f}));
}

TEST(MaxTest, SameValueForBothInputsGetsTheWholeGradient) {
  testing::checkSameInput(kMax);
}

TEST(MaxTest, GradientMatchesFiniteDifferences) {
  // a on odd and b on even multiples of 0.1: never within 0.1 of a tie.
  for (const auto& [ad, bd] : {std::pair<Dims, Dims>{{2, 13, 3}, {13, 1}},
                               {{13, 1}, {2, 13, 3}},
                               {{1}, {2, 3}},
                               {{2, 11}, {2, 11}}}) {
    SCOPED_TRACE(dimsStr(ad) + " with " + dimsStr(bd));
    HostTensor a = testing::randomTensor(ad, 3), b = testing::randomTensor(bd, 4);
    for (float& v : a.data) v = 0.2f * std::round(v * 5.f) + 0.1f;
    for (float& v : b.data) v = 0.2f * std::round(v * 5.f);
    auto r = testing::gradCheck("Max", {}, {a, b}, SampleCase{});
    EXPECT_TRUE(r.ok) << r.report;
    EXPECT_EQ(r.checked, int(a.data.size() + b.data.size()));
  }
}

TEST(MaxTest, RejectsIncompatibleBroadcast) {
  testing::checkBinaryRejectsBroadcast(kMax);
}

TEST(MaxTest, RejectsIntegerInput) {
  testing::checkBinaryRejectsIntegers(kMax);
}

}  // namespace
}  // namespace tapeflow
