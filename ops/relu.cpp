// ops/relu.cpp - Relu: dst = max(src, 0)
//   d src = d dst * (dst > 0)
// NOTE: backward reads dst (eltwise_relu_use_dst_for_bwd), so Relu folds into
// a producing Conv2D/Linear as a post-op; the subgradient at 0 is 0.
#include "ops/internal/eltwise_common.h"

namespace tapeflow::ops {

const OpDef& reluOp() {
  static const OpDef def = makeEltwiseOp(
      "Relu",
      {.alg = algorithm::eltwise_relu_use_dst_for_bwd, .useDst = true,
       .fusable = true,
       .pointwise = PointwiseKind::Relu, .kink = 0.f, .hasKink = true},
      "rectified linear unit, max(x, 0)");
  return def;
}

}  // namespace tapeflow::ops
