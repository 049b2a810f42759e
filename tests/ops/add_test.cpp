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
  SampleCase opts;
  for (const auto& [ad, bd] : {std::pair<Dims, Dims>{{2, 5, 3}, {5, 1}},
                               {{5, 1}, {2, 5, 3}},
                               {{1}, {2, 3}},
                               {{2, 11}, {2, 11}}}) {
    SCOPED_TRACE(dimsStr(ad) + " with " + dimsStr(bd));
    HostTensor a = testing::randomTensor(ad, 3, -1.f, 1.f);
    HostTensor b = testing::randomTensor(bd, 4, -1.f, 1.f);
    auto r = testing::gradCheck("Add", {}, {a, b}, opts);
    EXPECT_TRUE(r.ok) << r.report;
    EXPECT_EQ(r.checked, int(a.data.size() + b.data.size()));
  }
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
  auto p = Program::build(
      testing::oneOpGraph("Add", {},
                          {testing::randomTensor({2, 3, 4, 4}, 1),
                           testing::randomTensor({1, 3, 1, 1}, 2)},
                          1),
      ops::registry());
  EXPECT_EQ(p->flopsPerSample(0), 96);
}

TEST(AddTest, RejectsIncompatibleBroadcast) {
  testing::expectThrowWith<ShapeError>(
      [] {
        testing::runOp("Add", {}, {testing::randomTensor({2, 3}, 1),
                                  testing::randomTensor({4}, 2)});
      },
      "a [2,3] and b [4] cannot broadcast: dims 3 and 4 differ at axis 1");
}

TEST(AddTest, RejectsIntegerInput) {
  testing::expectThrowWith<ShapeError>(
      [] {
        testing::runOp("Add", {}, {testing::randomLabels({2, 3}, 1, 5),
                                  testing::randomTensor({2, 3}, 2)});
      },
      "input 'a' ('in0') must be f32, found i32");
}

}  // namespace
}  // namespace tapeflow
