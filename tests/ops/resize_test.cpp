// tests/ops/resize_test.cpp - Resize against a naive loop (nearest and
// linear, scales and sizes, 3-D and 4-D, blocked input), gradients, and
// the modes oneDNN does not compute rejected by name.
#include <gtest/gtest.h>

#include "ops/op_kit.h"
#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_spatial.h"

namespace tapeflow {
namespace {

using testing::expectClose;
using Attrs = std::map<std::string, AttrValue>;

TEST(ResizeTest, ForwardMatchesReference) {
  struct Case {
    Dims src;
    Attrs attrs;
    Dims out;
    bool linear;
  };
  const Case cases[] = {
      {{2, 3, 4, 5},
       {{"mode", AttrValue::ofString("linear")},
        {"sizes", AttrValue::ofInts({7, 9})}},
       {2, 3, 7, 9}, true},
      {{1, 13, 3, 2}, {{"scales", AttrValue::ofFloats({1, 1, 2, 3})}},
       {1, 13, 6, 6}, false},
      {{2, 5, 6, 4},  // linear downscaling
       {{"mode", AttrValue::ofString("linear")},
        {"scales", AttrValue::ofFloats({0.5f, 0.75f})}},
       {2, 5, 3, 3}, true},
      {{1, 2, 3, 3},
       {{"sizes", AttrValue::ofInts({1, 2, 6, 9})},
        {"coordinate_transformation_mode", AttrValue::ofString("asymmetric")}},
       {1, 2, 6, 9}, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(dimsStr(c.src) + " -> " + dimsStr(c.out));
    testing::HostTensor x = testing::randomTensor(c.src, 3);
    auto y = testing::runOp("Resize", c.attrs, {x});
    EXPECT_EQ(y[0].dims, c.out);
    expectClose(y[0].data,
                reference::resample2d(x.data, c.src[0] * c.src[1], c.src[2],
                                      c.src[3], c.out[2], c.out[3], c.linear),
                1e-5f);
  }
}

TEST(ResizeTest, ThreeDimensionalInputIsOneSpatialDim) {
  testing::HostTensor x = testing::randomTensor({2, 3, 5}, 4);
  auto y = testing::runOp("Resize",
                          {{"mode", AttrValue::ofString("linear")},
                           {"sizes", AttrValue::ofInts({8})}},
                          {x});
  EXPECT_EQ(y[0].dims, (Dims{2, 3, 8}));
  expectClose(y[0].data, reference::resample2d(x.data, 6, 1, 5, 1, 8, true),
              1e-5f);
}

TEST(ResizeTest, BlockedInputMatchesPlain) {
  const Dims dims = {2, 13, 3, 4};
  testing::HostTensor x = testing::randomTensor(dims, 5);
  Attrs attrs = {{"mode", AttrValue::ofString("linear")},
                 {"sizes", AttrValue::ofInts({5, 7})}};
  std::vector<float> seed = testing::randomTensor({2, 13, 5, 7}, 6).data;
  auto plain = testing::runWithLayout("Resize", attrs, {x}, {false},
                                      dnnl::memory::format_tag::nChw8c, seed);
  auto blocked = testing::runWithLayout("Resize", attrs, {x}, {true},
                                        dnnl::memory::format_tag::nChw8c, seed);
  expectClose(blocked.output, plain.output, 1e-6f);
  expectClose(blocked.grads[0], plain.grads[0], 1e-5f);
}

TEST(ResizeTest, GradientMatchesFiniteDifferences) {
  for (const char* mode : {"nearest", "linear"}) {
    SCOPED_TRACE(mode);
    testing::HostTensor x = testing::randomTensor({2, 3, 3, 4}, 9);
    auto r = testing::gradCheck("Resize",
                                {{"mode", AttrValue::ofString(mode)},
                                 {"scales", AttrValue::ofFloats({2, 2})}},
                                {x}, SampleCase{});
    EXPECT_TRUE(r.ok) << r.report;
    EXPECT_EQ(r.checked, 72);
  }
}

TEST(ResizeTest, RejectsWhatOneDnnDoesNotCompute) {
  const std::vector<Dims> in = {{1, 2, 3, 3}};
  testing::expectRejects<AttrError>(
      "Resize",
      {{"mode", AttrValue::ofString("linear")},
       {"sizes", AttrValue::ofInts({5, 5})},
       {"coordinate_transformation_mode", AttrValue::ofString("align_corners")}},
      in, "'align_corners' is not supported with mode 'linear'; supported: "
          "'half_pixel'");
  testing::expectRejects<AttrError>(
      "Resize", {{"sizes", AttrValue::ofInts({5, 6})}}, in,
      "mode 'nearest' needs whole upscaling factors; output size 5 of dim 2 "
      "is not a multiple of 3");
  testing::expectRejects<AttrError>("Resize",
                                    {{"mode", AttrValue::ofString("cubic")}},
                                    in, "must be one of 'nearest', 'linear'");
  testing::expectRejects<AttrError>(
      "Resize",
      {{"mode", AttrValue::ofString("linear")},
       {"scales", AttrValue::ofFloats({1.5f, 2.f})}},
      in, "scale 1.5 of dim 2 (size 3) gives 4.5");
  testing::expectRejects<AttrError>(
      "Resize",
      {{"scales", AttrValue::ofFloats({2, 2})},
       {"sizes", AttrValue::ofInts({6, 6})}},
      in, "give either 'scales' or 'sizes', not both");
  testing::expectRejects<AttrError>("Resize",
                                    {{"scales", AttrValue::ofFloats({2, 2, 2})}},
                                    in, "must have 4 values");
  testing::expectRejects<ShapeError>("Resize", {}, {{2, 3}},
                                     "must have rank 3, 4 or 5");
}

}  // namespace
}  // namespace tapeflow
