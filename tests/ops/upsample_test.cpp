// tests/ops/upsample_test.cpp - Upsample against a naive loop (nearest and
// half-pixel linear), gradients, rejections.
#include <gtest/gtest.h>

#include "ops/op_kit.h"
#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_spatial.h"

namespace tapeflow {
namespace {

using testing::expectClose;

TEST(UpsampleTest, ForwardMatchesReference) {
  struct Case {
    Dims src;
    std::vector<float> scales;
    const char* mode;
    Dims out;
  };
  for (const Case& c : {Case{{2, 3, 4, 5}, {2, 2}, "nearest", {2, 3, 8, 10}},
                        Case{{1, 13, 3, 4}, {1, 1, 2, 1.5f}, "linear",
                             {1, 13, 6, 6}},
                        Case{{2, 2, 2, 3}, {3, 2}, "linear", {2, 2, 6, 6}}}) {
    SCOPED_TRACE(dimsStr(c.src) + " " + c.mode);
    testing::HostTensor x = testing::randomTensor(c.src, 3);
    auto y = testing::runOp("Upsample",
                            {{"scales", AttrValue::ofFloats(c.scales)},
                             {"mode", AttrValue::ofString(c.mode)}},
                            {x});
    EXPECT_EQ(y[0].dims, c.out);
    expectClose(y[0].data,
                reference::resample2d(x.data, c.src[0] * c.src[1], c.src[2],
                                      c.src[3], c.out[2], c.out[3],
                                      std::string(c.mode) == "linear"),
                1e-5f);
  }
}

TEST(UpsampleTest, NearestGradientSumsEachBlock) {
  testing::HostTensor x = testing::randomTensor({1, 1, 2, 2}, 3);
  std::vector<float> seed(16);
  for (size_t i = 0; i < seed.size(); ++i) seed[i] = float(i);
  auto run = testing::runWithLayout("Upsample",
                                    {{"scales", AttrValue::ofFloats({2, 2})}},
                                    {x}, {false},
                                    dnnl::memory::format_tag::nchw, seed);
  // src (0,0) feeds dst rows 0-1, cols 0-1: 0 + 1 + 4 + 5.
  expectClose(run.grads[0], {10.f, 18.f, 42.f, 50.f}, 1e-6f);
}

TEST(UpsampleTest, GradientMatchesFiniteDifferences) {
  testing::HostTensor x = testing::randomTensor({2, 3, 3, 4}, 9);
  auto r = testing::gradCheck("Upsample",
                              {{"mode", AttrValue::ofString("linear")},
                               {"scales", AttrValue::ofFloats({2, 1.5f})}},
                              {x}, SampleCase{});
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_EQ(r.checked, 72);
}

TEST(UpsampleTest, Rejects) {
  testing::expectRejects<AttrError>(
      "Upsample", {{"scales", AttrValue::ofFloats({1.5f, 2})}}, {{1, 2, 4, 3}},
      "mode 'nearest' needs whole upscaling factors; output size 6 of dim 2 "
      "is not a multiple of 4");
  testing::expectRejects<AttrError>(
      "Upsample", {{"scales", AttrValue::ofFloats({2, 1, 2, 2})}},
      {{1, 2, 4, 3}}, "must leave the batch and channel dims unchanged");
  testing::expectRejects<AttrError>("Upsample", {}, {{1, 2, 4, 3}},
                                    "missing required attribute 'scales'");
}

}  // namespace
}  // namespace tapeflow
