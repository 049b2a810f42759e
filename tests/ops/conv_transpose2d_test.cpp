// tests/ops/conv_transpose2d_test.cpp - ConvTranspose2D against a naive
// scatter loop (stride, pads, output_padding, dilation, groups, bias),
// gradients, rejections.
#include <gtest/gtest.h>

#include "ops/op_kit.h"
#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_spatial.h"

namespace tapeflow {
namespace {

using testing::expectClose;
using testing::HostTensor;
using Attrs = std::map<std::string, AttrValue>;

struct Case {
  Dims src, w;
  bool bias;
  reference::ConvTransposeParams p;
};

Attrs attrsOf(const reference::ConvTransposeParams& p) {
  return {{"stride", AttrValue::ofInts({p.stride[0], p.stride[1]})},
          {"dilation", AttrValue::ofInts({p.dilation[0], p.dilation[1]})},
          {"pads", AttrValue::ofInts({p.padBegin[0], p.padBegin[1],
                                      p.padEnd[0], p.padEnd[1]})},
          {"output_padding", AttrValue::ofInts({p.outPad[0], p.outPad[1]})},
          {"groups", AttrValue::ofInt(p.groups)}};
}

std::vector<Case> cases() {
  reference::ConvTransposeParams s2;
  s2.stride[0] = s2.stride[1] = 2;
  s2.padBegin[0] = s2.padBegin[1] = s2.padEnd[0] = s2.padEnd[1] = 1;
  s2.outPad[0] = s2.outPad[1] = 1;
  reference::ConvTransposeParams grouped;
  grouped.groups = 2;
  grouped.dilation[0] = 2;
  grouped.stride[1] = 3;
  grouped.padEnd[1] = 1;
  reference::ConvTransposeParams outPadOnly;  // oneDNN right padding -1
  outPadOnly.stride[0] = outPadOnly.stride[1] = 2;
  outPadOnly.outPad[0] = 1;
  return {{{1, 2, 3, 3}, {2, 3, 3, 3}, true, outPadOnly},
          {{2, 3, 4, 4}, {3, 5, 3, 3}, true, s2},
          {{1, 4, 3, 5}, {4, 3, 2, 3}, false, grouped},
          {{2, 13, 3, 3}, {13, 9, 2, 2}, true, {}}};  // 13: not 8-divisible
}

TEST(ConvTranspose2DTest, ForwardMatchesReference) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(dimsStr(c.src) + " w " + dimsStr(c.w));
    std::vector<HostTensor> in = {testing::randomTensor(c.src, 1),
                                  testing::randomTensor(c.w, 2)};
    if (c.bias) in.push_back(testing::randomTensor({c.w[1] * c.p.groups}, 3));
    std::vector<int64_t> outDims;
    auto want = reference::convTranspose2d(
        in[0].data, c.src, in[1].data, c.w,
        c.bias ? in[2].data : std::vector<float>{}, c.p, &outDims);
    for (bool training : {false, true}) {
      auto y = testing::runOp("ConvTranspose2D", attrsOf(c.p), in, training);
      EXPECT_EQ(y[0].dims, Dims(outDims.begin(), outDims.end()));
      expectClose(y[0].data, want, 1e-4f);
    }
  }
}

TEST(ConvTranspose2DTest, GradientMatchesFiniteDifferences) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(dimsStr(c.src) + " w " + dimsStr(c.w));
    std::vector<HostTensor> in = {testing::randomTensor(c.src, 4),
                                  testing::randomTensor(c.w, 5)};
    if (c.bias) in.push_back(testing::randomTensor({c.w[1] * c.p.groups}, 6));
    SampleCase opts;
    opts.tolerance = 2e-3f;
    auto r = testing::gradCheck("ConvTranspose2D", attrsOf(c.p), in, opts);
    EXPECT_TRUE(r.ok) << r.report;
    EXPECT_GT(r.checked, 0);
  }
}

TEST(ConvTranspose2DTest, Rejects) {
  testing::expectRejects<ShapeError>(
      "ConvTranspose2D", {}, {{1, 3, 4, 4}, {4, 2, 3, 3}},
      "input 'weights' [4,2,3,3] has 4 input channels (dim 0), expected 3");
  testing::expectRejects<ShapeError>("ConvTranspose2D", {},
                                     {{1, 3, 4, 4}, {3, 2, 3, 3}, {3}},
                                     "input 'bias' [3] must be [2]");
  testing::expectRejects<AttrError>(
      "ConvTranspose2D", {{"output_padding", AttrValue::ofInts({1, 0})}},
      {{1, 3, 4, 4}, {3, 2, 3, 3}},
      "1 along height must be smaller than the stride or the dilation");
  testing::expectRejects<ShapeError>(
      "ConvTranspose2D", {{"pads", AttrValue::ofInts({3, 3, 3, 3})}},
      {{1, 3, 2, 2}, {3, 2, 2, 2}}, "output height is -3");
  testing::expectRejects<ShapeError>(
      "ConvTranspose2D", {{"groups", AttrValue::ofInt(2)}},
      {{1, 3, 4, 4}, {3, 2, 3, 3}}, "not a multiple of groups 2");
  testing::expectRejects<AttrError>("ConvTranspose2D",
                                    {{"stride", AttrValue::ofInts({0, 1})}},
                                    {{1, 3, 4, 4}, {3, 2, 3, 3}},
                                    "'stride': must be positive");
}

}  // namespace
}  // namespace tapeflow
