// tests/ops/mean_squared_error_test.cpp - MeanSquaredError against a naive
// loop, a literal golden, gradients of both inputs, rejects.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_loss.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

TEST(MeanSquaredErrorTest, ForwardMatchesReference) {
  for (Dims dims : {Dims{4, 3}, Dims{2, 13}, Dims{2, 3, 5, 7}, Dims{9}}) {
    SCOPED_TRACE(dimsStr(dims));
    HostTensor pred = testing::randomTensor(dims, 3, -2.f, 2.f);
    HostTensor target = testing::randomTensor(dims, 4, -2.f, 2.f);
    auto y = testing::runOp("MeanSquaredError", {}, {pred, target});
    ASSERT_EQ(y.size(), 1u);
    EXPECT_EQ(y[0].dims, Dims{});
    ASSERT_EQ(y[0].data.size(), 1u);
    double want = reference::meanSquaredError(pred.data, target.data);
    EXPECT_NEAR(y[0].data[0], want, 1e-5 * want);
  }
}

TEST(MeanSquaredErrorTest, SumReduction) {
  HostTensor pred = testing::randomTensor({2, 13}, 3, -2.f, 2.f);
  HostTensor target = testing::randomTensor({2, 13}, 4, -2.f, 2.f);
  std::map<std::string, AttrValue> sum{{"reduction", AttrValue::ofString("sum")}};
  testing::OneOpPlan p("MeanSquaredError", sum, {pred, target}, Mode::Training);
  auto g = p.gradients({0, 1}, {3.f});
  double want = 26 * reference::meanSquaredError(pred.data, target.data);
  EXPECT_NEAR(p.plan->readValue("out0")[0], want, 1e-5 * want);
  for (size_t i = 0; i < pred.data.size(); ++i) {
    float d = 2.f * 3.f * (pred.data[i] - target.data[i]);
    EXPECT_NEAR(g[0][i], d, 1e-5f) << i;
    EXPECT_NEAR(g[1][i], -d, 1e-5f) << i;
  }
  auto r = testing::gradCheck("MeanSquaredError", sum, {pred, target},
                              SampleCase{});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(MeanSquaredErrorTest, LiteralGolden) {
  HostTensor pred{{3}, {1.f, 2.f, 3.f}};
  HostTensor target{{3}, {1.f, 0.f, 0.f}};
  auto y = testing::runOp("MeanSquaredError", {}, {pred, target});
  EXPECT_NEAR(y[0].data[0], 13.f / 3.f, 1e-6f);  // (0 + 4 + 9) / 3
}

TEST(MeanSquaredErrorTest, GradientsAreOppositeAndScaledByLossGradient) {
  HostTensor pred{{2, 2}, {1.f, 2.f, 3.f, 4.f}};
  HostTensor target{{2, 2}, {0.f, 2.f, 5.f, 3.f}};
  testing::OneOpPlan p("MeanSquaredError", {}, {pred, target}, Mode::Training);
  auto g = p.gradients({0, 1}, {3.f});
  // d pred = 2 (pred - target) / 4 * 3
  std::vector<float> want = {1.5f, 0.f, -3.f, 1.5f};
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(g[0][i], want[i], 1e-6f) << i;
    EXPECT_NEAR(g[1][i], -want[i], 1e-6f) << i;
  }
}

TEST(MeanSquaredErrorTest, GradientMatchesFiniteDifferences) {
  HostTensor pred = testing::randomTensor({3, 5, 2}, 21);
  HostTensor target = testing::randomTensor({3, 5, 2}, 22);
  auto r =
      testing::gradCheck("MeanSquaredError", {}, {pred, target}, SampleCase{});
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_EQ(r.checked, 60);  // both inputs
}

TEST(MeanSquaredErrorTest, GradientOfPredAloneWhenTargetIsConstant) {
  HostTensor pred = testing::randomTensor({3, 7}, 5);
  HostTensor target = testing::randomTensor({3, 7}, 6);
  testing::OneOpPlan p("MeanSquaredError", {}, {pred, target}, Mode::Training,
                       {1});
  auto g = p.gradients({0});
  for (size_t i = 0; i < pred.data.size(); ++i)
    EXPECT_NEAR(g[0][i], 2.f * (pred.data[i] - target.data[i]) / 21.f, 1e-6f);
  EXPECT_THROW(p.plan->readGrad("in1"), UsageError);
}

TEST(MeanSquaredErrorTest, BlockedPredAndPlainTarget) {
  using dnnl::memory;
  for (auto blocked : {memory::format_tag::nChw8c, memory::format_tag::nChw16c})
    for (Dims dims : {Dims{2, 13, 3, 2}, Dims{2, 3, 4, 4}}) {
      SCOPED_TRACE(dimsStr(dims) + " tag " + std::to_string(int(blocked)));
      HostTensor pred = testing::randomTensor(dims, 31);
      HostTensor target = testing::randomTensor(dims, 32);
      testing::OneOpPlan p("MeanSquaredError", {}, {pred, target},
                           Mode::Training, {}, {{0, blocked}});
      auto g = p.gradients({0, 1}, {2.f});
      double want = reference::meanSquaredError(pred.data, target.data);
      EXPECT_NEAR(p.plan->readValue("out0")[0], want, 1e-5 * want);
      const float n = float(pred.data.size());
      for (size_t i = 0; i < pred.data.size(); ++i) {
        float d = 2.f * 2.f * (pred.data[i] - target.data[i]) / n;
        EXPECT_NEAR(g[0][i], d, 1e-6f) << i;
        EXPECT_NEAR(g[1][i], -d, 1e-6f) << i;
      }
    }
}

TEST(MeanSquaredErrorTest, RejectsDifferentShapes) {
  testing::expectRejects<ShapeError>(
      "MeanSquaredError", {}, {{2, 3}, {3, 2}},
      "input 'pred' [2,3] and input 'target' [3,2] must have the same shape");
  testing::expectRejects<AttrError>(
      "MeanSquaredError", {{"reduction", AttrValue::ofString("max")}},
      {{2, 3}, {2, 3}}, "attribute 'reduction' must be one of");
}

}  // namespace
}  // namespace tapeflow
