// ops/tanh.cpp - Tanh: dst = tanh(src)
//   d src = d dst * (1 - dst^2)
// NOTE: backward reads dst (eltwise_tanh_use_dst_for_bwd), so Tanh folds
// into a producing Conv2D/Linear as a post-op.
#include "ops/internal/eltwise_common.h"

namespace tapeflow::ops {

const OpDef& tanhOp() {
  static const OpDef def = makeEltwiseOp(
      "Tanh",
      {.alg = algorithm::eltwise_tanh_use_dst_for_bwd, .useDst = true,
       .fusable = true,
       .pointwise = PointwiseKind::Tanh},
      "hyperbolic tangent");
  return def;
}

}  // namespace tapeflow::ops
