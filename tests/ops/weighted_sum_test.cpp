// tests/ops/weighted_sum_test.cpp - WeightedSum against a naive loop (plain
// and blocked inputs), a golden, gradients by finite differences and as
// literals, and rejections.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tests/support/expect.h"
#include "tests/support/op_harness.h"

namespace tapeflow {
namespace {

using testing::HostTensor;
using Attrs = std::map<std::string, AttrValue>;

std::vector<float> reference(const std::vector<HostTensor>& xs,
                             const std::vector<float>& w) {
  std::vector<float> out(xs[0].data.size(), 0.f);
  for (size_t i = 0; i < xs.size(); ++i)
    for (size_t k = 0; k < out.size(); ++k) out[k] += w[i] * xs[i].data[k];
  return out;
}

TEST(WeightedSumTest, ForwardMatchesReference) {
  struct Config {
    Dims dims;
    std::vector<float> weights;  // empty: the default
    int inputs;
  };
  for (const Config& c : std::vector<Config>{{{}, {1.f, 0.5f}, 2},
                                             {{2, 3, 5, 5}, {}, 3},
                                             {{4, 13}, {2.f, -3.f}, 2},
                                             {{7}, {0.25f}, 1}}) {
    SCOPED_TRACE(dimsStr(c.dims));
    std::vector<HostTensor> xs;
    for (int i = 0; i < c.inputs; ++i) xs.push_back(testing::randomTensor(c.dims, 10 + i));
    std::vector<float> w = c.weights.empty() ? std::vector<float>(size_t(c.inputs), 1.f)
                                             : c.weights;
    Attrs attrs;
    if (!c.weights.empty()) attrs["weights"] = AttrValue::ofFloats(c.weights);
    std::vector<float> want = reference(xs, w);
    auto y = testing::runOp("WeightedSum", attrs, xs, true);
    ASSERT_EQ(y.size(), 1u);
    EXPECT_EQ(y[0].dims, c.dims);
    ASSERT_EQ(y[0].data.size(), want.size());
    for (size_t k = 0; k < want.size(); ++k) EXPECT_NEAR(y[0].data[k], want[k], 1e-6f) << k;
  }
}

TEST(WeightedSumTest, Golden) {
  HostTensor a{{}, {2.f}}, b{{}, {10.f}};
  auto y = testing::runOp("WeightedSum", {{"weights", AttrValue::ofFloats({1.f, 0.5f})}},
                          {a, b});
  EXPECT_EQ(y[0].data, (std::vector<float>{7.f}));
}

TEST(WeightedSumTest, GradientIsTheWeightTimesTheSeed) {
  HostTensor a{{2}, {1, 2}}, b{{2}, {3, 4}};
  auto r = testing::runWithLayout("WeightedSum",
                                  {{"weights", AttrValue::ofFloats({0.5f, -2.f})}}, {a, b},
                                  {false, false}, dnnl::memory::format_tag::a, {10, 20});
  EXPECT_EQ(r.output, (std::vector<float>{-5.5f, -7.f}));
  EXPECT_EQ(r.grads[0], (std::vector<float>{5, 10}));
  EXPECT_EQ(r.grads[1], (std::vector<float>{-20, -40}));
}

TEST(WeightedSumTest, GradientMatchesFiniteDifferences) {
  SampleCase opts;  // linear: no kink
  auto r = testing::gradCheck("WeightedSum", {{"weights", AttrValue::ofFloats({0.3f, -1.5f})}},
                              {testing::randomTensor({3, 5}, 1),
                               testing::randomTensor({3, 5}, 2)},
                              opts);
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_EQ(r.checked, 30);
}

TEST(WeightedSumTest, AcceptsBlockedInputs) {
  HostTensor a = testing::randomTensor({2, 13, 3, 3}, 1);
  HostTensor b = testing::randomTensor({2, 13, 3, 3}, 2);
  std::vector<float> seed = testing::randomTensor({2, 13, 3, 3}, 3).data;
  Attrs attrs{{"weights", AttrValue::ofFloats({1.5f, 0.25f})}};
  auto tag8 = dnnl::memory::format_tag::nChw8c;
  auto plain = testing::runWithLayout("WeightedSum", attrs, {a, b}, {false, false}, tag8, seed);
  std::vector<float> want = reference({a, b}, {1.5f, 0.25f});
  for (size_t k = 0; k < want.size(); ++k) EXPECT_NEAR(plain.output[k], want[k], 1e-6f);
  auto r = testing::runWithLayout("WeightedSum", attrs, {a, b}, {true, false}, tag8, seed);
  for (size_t k = 0; k < want.size(); ++k) EXPECT_NEAR(r.output[k], want[k], 1e-6f);
  EXPECT_EQ(r.grads[0], plain.grads[0]);
  EXPECT_EQ(r.grads[1], plain.grads[1]);
  for (size_t k = 0; k < seed.size(); ++k) EXPECT_FLOAT_EQ(r.grads[0][k], 1.5f * seed[k]);
}

TEST(WeightedSumTest, RejectsMismatchedDimsAndWeights) {
  testing::expectRejects<ShapeError>("WeightedSum", {}, {{2, 3}, {3, 2}},
                                     "input 1 [3,2] differs from input 0 [2,3]; every input must have the same dims");
  testing::expectRejects<AttrError>("WeightedSum",
                                    {{"weights", AttrValue::ofFloats({1.f, 2.f, 3.f})}},
                                    {{2}, {2}}, "has 3 values for 2 inputs");
  testing::expectRejects<AttrError>(
      "WeightedSum",
      {{"weights", AttrValue::ofFloats({1.f, std::numeric_limits<float>::infinity()})}},
      {{2}, {2}}, "weights[1] is not finite");
  testing::expectRejects<GraphError>("WeightedSum", {}, {}, "expected at least 1 inputs");
}

}  // namespace
}  // namespace tapeflow
