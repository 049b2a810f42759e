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
  SampleCase opts;
  for (const auto& [ad, bd] : {std::pair<Dims, Dims>{{2, 5, 3}, {5, 1}},
                               {{5, 1}, {2, 5, 3}},
                               {{1}, {2, 3}},
                               {{2, 11}, {2, 11}}}) {
    SCOPED_TRACE(dimsStr(ad) + " with " + dimsStr(bd));
    HostTensor a = testing::randomTensor(ad, 3, -1.f, 1.f);
    HostTensor b = testing::randomTensor(bd, 4, -1.f, 1.f);
    auto r = testing::gradCheck("Mul", {}, {a, b}, opts);
    EXPECT_TRUE(r.ok) << r.report;
    EXPECT_EQ(r.checked, int(a.data.size() + b.data.size()));
  }
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
  auto p = Program::build(
      testing::oneOpGraph("Mul", {},
                          {testing::randomTensor({2, 3, 4, 4}, 1),
                           testing::randomTensor({1, 3, 1, 1}, 2)},
                          1),
      ops::registry());
  EXPECT_EQ(p->flopsPerSample(0), 96);
}

TEST(MulTest, RejectsIncompatibleBroadcast) {
  testing::expectThrowWith<ShapeError>(
      [] {
        testing::runOp("Mul", {}, {testing::randomTensor({2, 3}, 1),
                                  testing::randomTensor({4}, 2)});
      },
      "a [2,3] and b [4] cannot broadcast: dims 3 and 4 differ at axis 1");
}

TEST(MulTest, RejectsIntegerInput) {
  testing::expectThrowWith<ShapeError>(
      [] {
        testing::runOp("Mul", {}, {testing::randomLabels({2, 3}, 1, 5),
                                  testing::randomTensor({2, 3}, 2)});
      },
      "input 'a' ('in0') must be f32, found i32");
}

}  // namespace
}  // namespace tapeflow
