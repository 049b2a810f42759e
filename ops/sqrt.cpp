// ops/sqrt.cpp - Sqrt: dst = sqrt(src)
//   d src = d dst / (2 dst)
// NOTE: backward reads dst (eltwise_sqrt_use_dst_for_bwd). src < 0 gives
// NaN, as in ONNX; the samples draw src from [0.5, 2).
#include "ops/internal/eltwise_common.h"

namespace tapeflow::ops {

const OpDef& sqrtOp() {
  static const OpDef def = makeEltwiseOp(
      "Sqrt",
      {.alg = algorithm::eltwise_sqrt_use_dst_for_bwd, .useDst = true,
       .sampleLow = 0.5f, .sampleHigh = 2.f},
      "elementwise square root, sqrt(x)");
  return def;
}

}  // namespace tapeflow::ops
