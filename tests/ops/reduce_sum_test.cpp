// tests/ops/reduce_sum_test.cpp - ReduceSum against a naive loop for the
// axes/keepdims forms (plain and blocked), its gradient (literal, finite
// differences, blocked), the rejections.
#include <gtest/gtest.h>

#include "tests/support/reduce_checks.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

TEST(ReduceSumTest, ForwardMatchesReference) {
  testing::checkReduceForward("ReduceSum", reference::Reduce::Sum);
}

TEST(ReduceSumTest, DefaultsReduceEverythingAndKeepDims) {
  HostTensor x = testing::randomTensor({2, 3, 4}, 9);
  auto y = testing::runOp("ReduceSum", {}, {x});
  EXPECT_EQ(y[0].dims, (Dims{1, 1, 1}));
  testing::expectClose(
      y[0].data,
      reference::reduce(x.data, x.dims, {true, true, true}, reference::Reduce::Sum),
      1e-5, "defaults");
}

TEST(ReduceSumTest, GradientIsTheSeedBroadcast) {
  testing::OneOpPlan p("ReduceSum", {{"axes", AttrValue::ofInts({1})}},
                       {HostTensor{{2, 2}, {1.f, 2.f, 3.f, 4.f}}}, Mode::Training);
  auto g = p.gradients({0}, {5.f, -1.f});
  EXPECT_EQ(g[0], (std::vector<float>{5.f, 5.f, -1.f, -1.f}));
}

TEST(ReduceSumTest, GradientMatchesFiniteDifferences) {
  testing::checkReduceGradient("ReduceSum", false);
}

TEST(ReduceSumTest, RejectsBadAxesKeepdimsAndScalars) {
  testing::checkReduceRejects("ReduceSum");
}

}  // namespace
}  // namespace tapeflow
