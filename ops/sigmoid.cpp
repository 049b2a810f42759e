// ops/sigmoid.cpp - Sigmoid: dst = 1 / (1 + exp(-src))
//   d src = d dst * dst * (1 - dst)
// NOTE: backward reads dst (eltwise_logistic_use_dst_for_bwd), so Sigmoid
// folds into a producing Conv2D/Linear as a post-op.
// NOTE: on a blocked layout with padded channels (nChw8c with 6 channels)
// oneDNN 2.6 only has ref:any for logistic (about 2x slower than jit here),
// since logistic(0) != 0 would spoil the zero padding; plain or unpadded
// layouts run jit.
#include "ops/internal/eltwise_common.h"

namespace tapeflow::ops {

const OpDef& sigmoidOp() {
  static const OpDef def = makeEltwiseOp(
      "Sigmoid",
      {.alg = algorithm::eltwise_logistic_use_dst_for_bwd, .useDst = true,
       .fusable = true,
       .pointwise = PointwiseKind::Sigmoid},
      "logistic sigmoid, 1 / (1 + exp(-x))");
  return def;
}

}  // namespace tapeflow::ops
