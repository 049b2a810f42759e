// ops/neg.cpp - Neg: dst = -src
//   d src = -d dst
// oneDNN's eltwise_linear with alpha -1, beta 0.
#include "ops/internal/eltwise_common.h"

namespace tapeflow::ops {

const OpDef& negOp() {
  static const OpDef def = makeEltwiseOp(
      "Neg", {.alg = algorithm::eltwise_linear, .alphaDefault = -1.f},
      "elementwise negation, -x");
  return def;
}

}  // namespace tapeflow::ops
