// ops/upsample.cpp - Upsample: Resize by `scales` (PyTorch nn.Upsample with
//   align_corners=False):
//   nearest: dst[.., y, x] = src[.., y / s_h, x / s_w] (whole factors)
//   linear: bilinear (trilinear) with half-pixel centres, edges clamped
//   d src = the transposed interpolation of d dst (resampling_backward)
// NOTE: ONNX's deprecated Upsample puts linear samples at asymmetric
// coordinates; tapeflow's linear Upsample is PyTorch's (half-pixel).
#include "ops/internal/resample_common.h"

namespace tapeflow::ops {

const OpDef& upsampleOp() {
  static const OpDef def = [] {
    OpDef d("Upsample");
    d.input("src").output("dst");
    d.requiredAttr("scales", AttrKind::Floats,
                   "factor per dim (rank values, N and C at 1) or per "
                   "spatial dim; output sizes must be whole");
    d.attr("mode", AttrValue::ofString("nearest"), "nearest or linear");
    d.choices({"nearest", "linear"});
    d.doc("scales the spatial dims up, nearest or linear (half-pixel)");
    d.samples([] {
      SampleCase a;
      a.label = "2x3x4x5_nearest_x2";
      a.attrs = {{"scales", AttrValue::ofFloats({2.f, 2.f})}};
      a.inputs = {{2, 3, 4, 5}};
      SampleCase b;
      b.label = "1x13x3x4_linear_x1.5";  // 13: not a multiple of 8
      b.attrs = {{"scales", AttrValue::ofFloats({1.f, 1.f, 2.f, 1.5f})},
                 {"mode", AttrValue::ofString("linear")}};
      b.inputs = {{1, 13, 3, 4}};
      return std::vector<SampleCase>{a, b};
    });
    return withResamplePhases(d);
  }();
  return def;
}

}  // namespace tapeflow::ops
