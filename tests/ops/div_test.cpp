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
  SampleCase opts;
  for (const auto& [ad, bd] : {std::pair<Dims, Dims>{{2, 5, 3}, {5, 1}},
                               {{5, 1}, {2, 5, 3}},
                               {{1}, {2, 3}},
                               {{2, 11}, {2, 11}}}) {
    SCOPED_TRACE(dimsStr(ad) + " with " + dimsStr(bd));
    HostTensor a = testing::randomTensor(ad, 3, 0.5f, 2.f);
    HostTensor b = testing::randomTensor(bd, 4, 0.5f, 2.f);
    auto r = testing::gradCheck("Div", {}, {a, b}, opts);
    EXPECT_TRUE(r.ok) << r.report;
    EXPECT_EQ(r.checked, int(a.data.size() + b.data.size()));
  }
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
  auto p = Program::build(
      testing::oneOpGraph("Div", {},
                          {testing::randomTensor({2, 3, 4, 4}, 1),
                           testing::randomTensor({1, 3, 1, 1}, 2)},
                          1),
      ops::registry());
  EXPECT_EQ(p->flopsPerSample(0), 96);
}

TEST(DivTest, RejectsIncompatibleBroadcast) {
  testing::expectThrowWith<ShapeError>(
      [] {
        testing::runOp("Div", {}, {testing::randomTensor({2, 3}, 1),
                                  testing::randomTensor({4}, 2)});
      },
      "a [2,3] and b [4] cannot broadcast: dims 3 and 4 differ at axis 1");
}

TEST(DivTest, RejectsIntegerInput) {
  testing::expectThrowWith<ShapeError>(
      [] {
        testing::runOp("Div", {}, {testing::randomLabels({2, 3}, 1, 5),
                                  testing::randomTensor({2, 3}, 2)});
      },
      "input 'a' ('in0') must be f32, found i32");
}

}  // namespace
}  // namespace tapeflow
