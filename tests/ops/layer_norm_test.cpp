// tests/ops/layer_norm_test.cpp - LayerNorm against a naive loop (several
// axes, with and without bias, blocked input), gradients, rejections.
#include <gtest/gtest.h>

#include "ops/op_kit.h"
#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_norm.h"

namespace tapeflow {
namespace {

using testing::expectClose;
using testing::HostTensor;

TEST(LayerNormTest, ForwardMatchesReference) {
  struct Case {
    Dims src;
    int64_t axis;
    bool bias;
  };
  for (const Case& c : {Case{{2, 3, 4, 5}, 2, true}, Case{{3, 13}, -1, false},
                        Case{{2, 13, 3}, 1, true}, Case{{4, 6}, 0, true}}) {
    SCOPED_TRACE(dimsStr(c.src) + " axis " + std::to_string(c.axis));
    int64_t axis = c.axis < 0 ? c.axis + int64_t(c.src.size()) : c.axis;
    Dims tail(c.src.begin() + axis, c.src.end());
    const int64_t inner = numel(tail), outer = numel(c.src) / inner;
    std::vector<HostTensor> in = {testing::randomTensor(c.src, 1, -2.f, 3.f),
                                  testing::randomTensor(tail, 2, 0.5f, 2.f)};
    if (c.bias) in.push_back(testing::randomTensor(tail, 3));
    const float eps = 1e-3f;
    auto y = testing::runOp("LayerNorm",
                            {{"axis", AttrValue::ofInt(c.axis)},
                             {"epsilon", AttrValue::ofFloat(eps)}},
                            in, /*training=*/true);
    EXPECT_EQ(y[0].dims, c.src);
    expectClose(y[0].data,
                reference::layerNorm(in[0].data, outer, inner, in[1].data,
                                     c.bias ? in[2].data : std::vector<float>{},
                                     eps),
                1e-4f);
  }
}

TEST(LayerNormTest, BlockedInputMatchesPlain) {
  const Dims dims = {2, 13, 3, 2};
  std::vector<HostTensor> in = {testing::randomTensor(dims, 1, -2.f, 3.f),
                                testing::randomTensor({13, 3, 2}, 2),
                                testing::randomTensor({13, 3, 2}, 3)};
  std::vector<float> seed = testing::randomTensor(dims, 4).data;
  auto attrs = std::map<std::string, AttrValue>{{"axis", AttrValue::ofInt(1)}};
  auto plain = testing::runWithLayout("LayerNorm", attrs, in,
                                      {false, false, false},
                                      dnnl::memory::format_tag::nChw8c, seed);
  auto blocked = testing::runWithLayout("LayerNorm", attrs, in,
                                        {true, false, false},
                                        dnnl::memory::format_tag::nChw8c, seed);
  expectClose(blocked.output,
              reference::layerNorm(in[0].data, 2, 78, in[1].data, in[2].data,
                                   1e-5f),
              1e-4f);
  for (int i = 0; i < 3; ++i) expectClose(blocked.grads[i], plain.grads[i], 1e-5f);
}

TEST(LayerNormTest, GradientMatchesFiniteDifferences) {
  for (bool bias : {true, false}) {
    SCOPED_TRACE(bias ? "bias" : "no bias");
    std::vector<HostTensor> in = {testing::randomTensor({3, 2, 5}, 1, -2.f, 3.f),
                                  testing::randomTensor({2, 5}, 2)};
    if (bias) in.push_back(testing::randomTensor({2, 5}, 3));
    auto r = testing::gradCheck("LayerNorm", {{"axis", AttrValue::ofInt(1)}},
                                in, SampleCase{});
    EXPECT_TRUE(r.ok) << r.report;
    EXPECT_EQ(r.checked, 30 + (bias ? 20 : 10));
  }
}

TEST(LayerNormTest, Rejects) {
  testing::expectRejects<ShapeError>(
      "LayerNorm", {{"axis", AttrValue::ofInt(1)}}, {{2, 3, 4}, {4}},
      "input 'scale' [4] must be [3,4] (the dims of src [2,3,4] from axis 1)");
  testing::expectRejects<ShapeError>("LayerNorm", {}, {{2, 3}, {3}, {2}},
                                     "input 'bias' [2] must be [3]");
  testing::expectRejects<AttrError>("LayerNorm", {{"axis", AttrValue::ofInt(2)}},
                                    {{2, 3}, {3}}, "axis 2 is out of range");
  testing::expectRejects<AttrError>("LayerNorm",
                                    {{"epsilon", AttrValue::ofFloat(0.f)}},
                                    {{2, 3}, {3}}, "must be positive and finite");
}

}  // namespace
}  // namespace tapeflow
