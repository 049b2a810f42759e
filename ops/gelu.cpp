// ops/gelu.cpp - Gelu: dst = src * Phi(src)   (Phi: standard normal CDF)
//   d src = d dst * (Phi(src) + src * phi(src))  (phi: its density)
// approximate "tanh": dst = 0.5 src (1 + tanh(k (src + 0.044715 src^3))),
// k = sqrt(2/pi), differentiated as written.
// NOTE: backward reads src (oneDNN has no *_use_dst_for_bwd gelu: it is not
// invertible from dst), so Gelu cannot fold into its producer as a post-op.
#include "ops/internal/eltwise_common.h"

namespace tapeflow::ops {

const OpDef& geluOp() {
  static const OpDef def = makeEltwiseOp(
      "Gelu",
      {.alg = algorithm::eltwise_gelu_erf,
       .algAttr = "approximate",
       .algChoices = {{"none", algorithm::eltwise_gelu_erf},
                      {"tanh", algorithm::eltwise_gelu_tanh}}},
      "Gaussian error linear unit, x * Phi(x); approximate \"tanh\" uses the "
      "tanh formula");
  return def;
}

}  // namespace tapeflow::ops
