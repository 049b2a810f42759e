// tests/ops/reduce_max_test.cpp - ReduceMax against a naive loop for the
// axes/keepdims forms (plain and blocked), its gradient (literal, finite
// differences, blocked), the rejections.
#include <gtest/gtest.h>

#include "tests/support/reduce_checks.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

TEST(ReduceMaxTest, ForwardMatchesReference) {
  testing::checkReduceForward("ReduceMax", reference::Reduce::Max);
}

TEST(ReduceMaxTest, DefaultsReduceEverythingAndKeepDims) {
  HostTensor x = testing::randomTensor({2, 3, 4}, 9);
  auto y = testing::runOp("ReduceMax", {}, {x});
  EXPECT_EQ(y[0].dims, (Dims{1, 1, 1}));
  testing::expectClose(
      y[0].data,
      reference::reduce(x.data, x.dims, {true, true, true}, reference::Reduce::Max),
      1e-5, "defaults");
}

TEST(ReduceMaxTest, TiedMaximaShareTheGradient) {
  testing::OneOpPlan p("ReduceMax", {{"axes", AttrValue::ofInts({1})}},
                       {HostTensor{{2, 3}, {2.f, 2.f, 1.f, 0.f, 0.f, 0.f}}},
                       Mode::Training);
  auto g = p.gradients({0}, {4.f, 3.f});
  EXPECT_EQ(g[0], (std::vector<float>{2.f, 2.f, 0.f, 1.f, 1.f, 1.f}));
}

TEST(ReduceMaxTest, GradientMatchesFiniteDifferences) {
  testing::checkReduceGradient("ReduceMax", true);
}

TEST(ReduceMaxTest, RejectsBadAxesKeepdimsAndScalars) {
  testing::checkReduceRejects("ReduceMax");
}

}  // namespace
}  // namespace tapeflow
