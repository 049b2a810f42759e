// ops/leaky_relu.cpp - LeakyRelu: dst = src > 0 ? src : alpha * src
//   d src = d dst * (dst > 0 ? 1 : alpha)
// NOTE: backward reads dst (eltwise_relu_use_dst_for_bwd), which keeps the
// sign of src only for alpha >= 0, so a negative alpha is rejected; in return
// LeakyRelu folds into a producing Conv2D/Linear as a post-op. The
// subgradient at 0 is alpha.
#include "ops/internal/eltwise_common.h"

namespace tapeflow::ops {

const OpDef& leakyReluOp() {
  static const OpDef def = makeEltwiseOp(
      "LeakyRelu",
      {.alg = algorithm::eltwise_relu_use_dst_for_bwd, .useDst = true,
       .alphaAttr = "alpha", .alphaDefault = 0.01f, .fusable = true,
       .pointwise = PointwiseKind::LeakyRelu,
       .kink = 0.f, .hasKink = true},
      "leaky rectified linear unit, x > 0 ? x : alpha * x");
  return def;
}

}  // namespace tapeflow::ops
