// tests/ops/global_max_pool_test.cpp - GlobalMaxPool against a naive loop
// (plain and blocked input), its gradient (literal, finite differences), the
// rejections.
#include <gtest/gtest.h>

#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_math.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

const std::vector<bool> kSpatial{false, false, true, true};

TEST(GlobalMaxPoolTest, ForwardMatchesReference) {
  for (Dims dims : {Dims{2, 3, 4, 5}, Dims{1, 13, 3, 3}, Dims{2, 16, 1, 1}}) {
    SCOPED_TRACE(dimsStr(dims));
    HostTensor x = testing::randomTensor(dims, 3);
    auto y = testing::runOp("GlobalMaxPool", {}, {x});
    ASSERT_EQ(y.size(), 1u);
    EXPECT_EQ(y[0].dims, (Dims{dims[0], dims[1], 1, 1}));
    testing::expectClose(
        y[0].data, reference::reduce(x.data, dims, kSpatial, reference::Reduce::Max),
        1e-5, "forward");
  }
}

TEST(GlobalMaxPoolTest, BlockedInputMatchesPlain) {
  HostTensor x = testing::randomTensor({2, 13, 3, 4}, 5, -1.f, 1.f, true);
  std::vector<float> seed = testing::randomTensor({2, 13, 1, 1}, 6).data;
  auto tag = dnnl::memory::format_tag::nChw8c;
  auto plain = testing::runWithLayout("GlobalMaxPool", {}, {x}, {false}, tag, seed);
  auto blocked = testing::runWithLayout("GlobalMaxPool", {}, {x}, {true}, tag, seed);
  testing::expectClose(
      blocked.output,
      reference::reduce(x.data, x.dims, kSpatial, reference::Reduce::Max), 1e-5,
      "nChw8c forward");
  testing::expectClose(blocked.grads[0], plain.grads[0], 1e-6, "nChw8c gradient");
}

TEST(GlobalMaxPoolTest, GradientGoesToTheMaximum) {
  HostTensor x{{1, 1, 2, 2}, {0.5f, 3.f, -1.f, 2.f}};
  testing::OneOpPlan p("GlobalMaxPool", {}, {x}, Mode::Training);
  auto g = p.gradients({0}, {7.f});
  EXPECT_EQ(g[0], (std::vector<float>{0.f, 7.f, 0.f, 0.f}));
}

TEST(GlobalMaxPoolTest, GradientMatchesFiniteDifferences) {
  for (Dims dims : {Dims{2, 3, 4, 5}, Dims{1, 13, 3, 3}}) {
    SCOPED_TRACE(dimsStr(dims));
    HostTensor x = testing::randomTensor(dims, 7, -1.f, 1.f, true);
    auto r = testing::gradCheck("GlobalMaxPool", {}, {x}, SampleCase{});
    EXPECT_TRUE(r.ok) << r.report;
    EXPECT_EQ(r.checked, int(x.data.size()));
  }
}

TEST(GlobalMaxPoolTest, RejectsWrongRank) {
  testing::expectRejects<ShapeError>("GlobalMaxPool", {}, {{2, 3, 4}},
                                     "input 'src' [2,3,4] must have rank 4");
}

}  // namespace
}  // namespace tapeflow
