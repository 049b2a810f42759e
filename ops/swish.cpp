// ops/swish.cpp - Swish: dst = src * sigmoid(beta * src)
//   d src = d dst * (s + beta * src * s * (1 - s)),  s = sigmoid(beta * src)
// oneDNN's eltwise_swish (its alpha is our beta). SiLU is Swish with beta 1.
#include "ops/internal/eltwise_common.h"

namespace tapeflow::ops {

const OpDef& swishOp() {
  static const OpDef def = makeEltwiseOp(
      "Swish",
      {.alg = algorithm::eltwise_swish, .alphaAttr = "beta",
       .alphaDefault = 1.f, .alphaDoc = "scale of x inside the sigmoid",
       .sampleAttrs = {{"beta", AttrValue::ofFloat(1.5f)}}},
      "x * sigmoid(beta * x)");
  return def;
}

}  // namespace tapeflow::ops
