// ops/abs.cpp - Abs: dst = |src|
//   d src = d dst * sign(src)   (subgradient 0 at 0)
#include "ops/internal/eltwise_common.h"

namespace tapeflow::ops {

const OpDef& absOp() {
  static const OpDef def = makeEltwiseOp(
      "Abs", {.alg = algorithm::eltwise_abs, .kink = 0.f, .hasKink = true},
      "elementwise absolute value, |x|");
  return def;
}

}  // namespace tapeflow::ops
