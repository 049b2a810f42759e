// ops/hard_sigmoid.cpp - HardSigmoid: dst = clip(alpha * src + beta, 0, 1)
//   d src = d dst * alpha where 0 < dst < 1, else 0
// oneDNN 2.6 has no hard sigmoid: two eltwise primitives, linear then
// clip_v2 (its backward reads dst; the linear one scales by alpha). ONNX's
// defaults: alpha 0.2, beta 0.5, so the kinks are at -2.5 and 2.5, outside
// the samples' [-1, 1).
#include "ops/internal/eltwise_common.h"

namespace tapeflow::ops {

const OpDef& hardSigmoidOp() {
  static const OpDef def = makeEltwiseOp(
      "HardSigmoid",
      {.alg = algorithm::eltwise_linear, .alphaAttr = "alpha",
       .alphaDefault = 0.2f, .beta = 0.5f, .betaAttr = "beta",
       .alphaDoc = "slope", .betaDoc = "offset", .hasThen = true,
       .thenAlg = algorithm::eltwise_clip_v2_use_dst_for_bwd,
       .thenAlpha = 0.f, .thenBeta = 1.f},
      "piecewise linear sigmoid, clip(alpha * x + beta, 0, 1)");
  return def;
}

}  // namespace tapeflow::ops
