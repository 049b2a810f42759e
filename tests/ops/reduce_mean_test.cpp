// tests/ops/reduce_mean_test.cpp - ReduceMean against a naive loop for the
// axes/keepdims forms (plain and blocked), its gradient (literal, finite
// differences, blocked), the rejections.
#include <gtest/gtest.h>

#include "tests/support/reduce_checks.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

TEST(ReduceMeanTest, ForwardMatchesReference) {
  testing::checkReduceForward("ReduceMean", reference::Reduce::Mean);
}

TEST(ReduceMeanTest, DefaultsReduceEverythingAndKeepDims) {
  HostTensor x = testing::randomTensor({2, 3, 4}, 9);
  auto y = testing::runOp("ReduceMean", {}, {x});
  EXPECT_EQ(y[0].dims, (Dims{1, 1, 1}));
  testing::expectClose(
      y[0].data,
      reference::reduce(x.data, x.dims, {true, true, true}, reference::Reduce::Mean),
      1e-5, "defaults");
}

TEST(ReduceMeanTest, GradientIsTheSeedOverTheCount) {
  testing::OneOpPlan p("ReduceMean", {{"axes", AttrValue::ofInts({1})}},
                       {HostTensor{{2, 2}, {1.f, 2.f, 3.f, 4.f}}}, Mode::Training);
  auto g = p.gradients({0}, {5.f, -1.f});
  EXPECT_EQ(g[0], (std::vector<float>{2.5f, 2.5f, -0.5f, -0.5f}));
}

TEST(ReduceMeanTest, GradientMatchesFiniteDifferences) {
  testing::checkReduceGradient("ReduceMean", false);
}

TEST(ReduceMeanTest, RejectsBadAxesKeepdimsAndScalars) {
  testing::checkReduceRejects("ReduceMean");
}

}  // namespace
}  // namespace tapeflow
