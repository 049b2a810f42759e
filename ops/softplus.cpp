// ops/softplus.cpp - Softplus: dst = ln(1 + exp(src))
//   d src = d dst * sigmoid(src)
// oneDNN's eltwise_soft_relu (2.6: no alpha; large src returns src, so it
// does not overflow).
#include "ops/internal/eltwise_common.h"

namespace tapeflow::ops {

const OpDef& softplusOp() {
  static const OpDef def = makeEltwiseOp(
      "Softplus", {.alg = algorithm::eltwise_soft_relu},
      "smooth relu, ln(1 + exp(x))");
  return def;
}

}  // namespace tapeflow::ops
