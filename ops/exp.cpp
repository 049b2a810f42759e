// ops/exp.cpp - Exp: dst = exp(src)
//   d src = d dst * dst
// NOTE: backward reads dst (eltwise_exp_use_dst_for_bwd).
#include "ops/internal/eltwise_common.h"

namespace tapeflow::ops {

const OpDef& expOp() {
  static const OpDef def = makeEltwiseOp(
      "Exp", {.alg = algorithm::eltwise_exp_use_dst_for_bwd, .useDst = true},
      "elementwise exponential, exp(x)");
  return def;
}

}  // namespace tapeflow::ops
