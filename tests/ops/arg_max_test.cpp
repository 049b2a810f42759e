// tests/ops/arg_max_test.cpp - ArgMax against a naive loop, ties, the axis
// attribute, no gradient, rejects.
#include <gtest/gtest.h>

#include "ops/registry.h"
#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_loss.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

TEST(ArgMaxTest, ForwardMatchesReference) {
  for (Dims dims : {Dims{4, 10}, Dims{3, 13}, Dims{7, 1}}) {
    SCOPED_TRACE(dimsStr(dims));
    HostTensor x = testing::randomTensor(dims, 5);
    auto y = testing::runOp("ArgMax", {}, {x});
    ASSERT_EQ(y.size(), 1u);
    EXPECT_EQ(y[0].dims, Dims{dims[0]});
    EXPECT_EQ(y[0].dtype, DType::I32);
    std::vector<int> want = reference::argMaxRows(x.data, dims[0], dims[1]);
    ASSERT_EQ(y[0].data.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i)
      EXPECT_EQ(int(y[0].data[i]), want[i]);
  }
}

TEST(ArgMaxTest, ColumnMajorInput) {
  HostTensor x = testing::randomTensor({6, 9}, 6);
  testing::OneOpPlan p("ArgMax", {}, {x}, Mode::Inference, {},
                       {{0, dnnl::memory::format_tag::ba}});
  p.plan->forward();
  std::vector<int> want = reference::argMaxRows(x.data, 6, 9);
  std::vector<float> got = p.plan->readValue("out0");
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(int(got[i]), want[i]);
}

TEST(ArgMaxTest, TiesPickTheFirstIndex) {
  HostTensor x{{3, 4},
               {1.f, 3.f, 3.f, 0.f,  //
                2.f, 2.f, 2.f, 2.f,  //
                -1.f, -5.f, -1.f, -0.5f}};
  auto y = testing::runOp("ArgMax", {}, {x});
  EXPECT_EQ(y[0].data, (std::vector<float>{1.f, 0.f, 3.f}));
}

TEST(ArgMaxTest, AxisMinusOneIsTheLastAxis) {
  HostTensor x = testing::randomTensor({5, 6}, 9);
  auto a = testing::runOp("ArgMax", {{"axis", AttrValue::ofInt(-1)}}, {x});
  auto b = testing::runOp("ArgMax", {{"axis", AttrValue::ofInt(1)}}, {x});
  EXPECT_EQ(a[0].data, b[0].data);
}

TEST(ArgMaxTest, HasNoGradient) {
  const OpDef* def = ops::registry().find("ArgMax");
  ASSERT_NE(def, nullptr);
  EXPECT_FALSE(def->isDifferentiable());
  EXPECT_EQ(def->nonDifferentiableReason(), "integer indices");
  // A training plan runs forward and computes no gradient for src.
  testing::OneOpPlan p("ArgMax", {}, {testing::randomTensor({2, 3}, 1)},
                       Mode::Training);
  p.plan->forward();
  EXPECT_THROW(p.plan->readGrad("in0"), UsageError);
}

TEST(ArgMaxTest, RejectsOtherAxes) {
  for (int64_t axis : {0, 2, -2}) {
    SCOPED_TRACE("axis " + std::to_string(axis));
    testing::expectRejects<AttrError>(
        "ArgMax", {{"axis", AttrValue::ofInt(axis)}}, {{2, 3}},
        "attribute 'axis': only axis 1 (the last axis of an [N, C] input) is "
        "supported, found " +
            std::to_string(axis));
  }
}

TEST(ArgMaxTest, RejectsOtherRanks) {
  for (Dims dims : {Dims{6}, Dims{2, 3, 4}}) {
    SCOPED_TRACE(dimsStr(dims));
    testing::expectRejects<ShapeError>(
        "ArgMax", {}, {dims},
        "input 'src' " + dimsStr(dims) + " must have rank 2");
  }
}

}  // namespace
}  // namespace tapeflow
