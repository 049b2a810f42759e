// ops/resize.cpp - Resize (ONNX Resize, attributes instead of inputs):
//   nearest: dst[.., y, x] = src[.., y * H / OH, x * W / OW] (whole
//   upscaling factors, where half_pixel and asymmetric coordinates agree)
//   linear: bilinear (trilinear) with half-pixel centres, edges clamped
//   d src = the transposed interpolation of d dst (resampling_backward)
// NOTE: other modes (cubic, align_corners, tf_crop_and_resize, fractional
// nearest) compute something oneDNN's resampling does not; they are
// rejected at load time.
#include "ops/internal/resample_common.h"

namespace tapeflow::ops {

const OpDef& resizeOp() {
  static const OpDef def = [] {
    OpDef d("Resize");
    d.input("src").output("dst");
    d.attr("scales", AttrValue::ofFloats({}),
           "factor per dim (rank values, N and C at 1) or per spatial dim");
    d.attr("sizes", AttrValue::ofInts({}),
           "output size per dim or per spatial dim (instead of scales)");
    d.attr("mode", AttrValue::ofString("nearest"), "nearest or linear");
    d.choices({"nearest", "linear"});
    d.attr("coordinate_transformation_mode", AttrValue::ofString("half_pixel"),
           "half_pixel (linear, nearest) or asymmetric (nearest)");
    d.doc("resamples the spatial dims, nearest or linear (ONNX Resize)");
    d.samples([] {
      SampleCase a;
      a.label = "2x3x4x5_linear_sizes7x9";
      a.attrs = {{"mode", AttrValue::ofString("linear")},
                 {"sizes", AttrValue::ofInts({7, 9})}};
      a.inputs = {{2, 3, 4, 5}};
      SampleCase b;
      b.label = "1x13x3x2_nearest_scales2x3";  // 13: not a multiple of 8
      b.attrs = {{"scales", AttrValue::ofFloats({1.f, 1.f, 2.f, 3.f})}};
      b.inputs = {{1, 13, 3, 2}};
      return std::vector<SampleCase>{a, b};
    });
    return withResamplePhases(d);
  }();
  return def;
}

}  // namespace tapeflow::ops
