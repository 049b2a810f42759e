// ops/silu.cpp - SiLU: dst = src * sigmoid(src)   (Swish with beta 1)
//   d src = d dst * (s + src * s * (1 - s)),  s = sigmoid(src)
#include "ops/internal/eltwise_common.h"

namespace tapeflow::ops {

const OpDef& siluOp() {
  static const OpDef def = makeEltwiseOp(
      "SiLU", {.alg = algorithm::eltwise_swish, .alphaDefault = 1.f},
      "sigmoid linear unit, x * sigmoid(x) (Swish with beta 1)");
  return def;
}

}  // namespace tapeflow::ops
