// ops/elu.cpp - Elu: dst = src > 0 ? src : alpha * (exp(src) - 1)
//   d src = d dst * (dst > 0 ? 1 : dst + alpha)
// NOTE: backward reads dst (eltwise_elu_use_dst_for_bwd), which needs
// alpha >= 0, so a negative alpha is rejected; in return Elu folds into a
// producing Conv2D/Linear as a post-op. The derivative jumps at 0 unless
// alpha is 1.
#include "ops/internal/eltwise_common.h"

namespace tapeflow::ops {

const OpDef& eluOp() {
  static const OpDef def = makeEltwiseOp(
      "Elu",
      {.alg = algorithm::eltwise_elu_use_dst_for_bwd, .useDst = true,
       .alphaAttr = "alpha", .alphaDefault = 1.f, .fusable = true,
       .pointwise = PointwiseKind::Elu,
       .kink = 0.f, .hasKink = true},
      "exponential linear unit, x > 0 ? x : alpha * (exp(x) - 1)");
  return def;
}

}  // namespace tapeflow::ops
