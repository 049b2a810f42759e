// ops/pow.cpp - Pow: dst = src ^ exponent   (exponent: a scalar attribute)
//   d src = d dst * exponent * src ^ (exponent - 1)
// ONNX's Pow takes the exponent as a second input; a constant one maps to
// the attribute. oneDNN's eltwise_pow computes alpha * src ^ beta (alpha 1).
// NOTE: a negative src with a non-integer exponent gives NaN, as in ONNX; the
// samples draw src from [0.5, 2).
#include "ops/internal/eltwise_common.h"

namespace tapeflow::ops {

const OpDef& powOp() {
  static const OpDef def = makeEltwiseOp(
      "Pow",
      {.alg = algorithm::eltwise_pow, .alphaDefault = 1.f,
       .betaAttr = "exponent", .betaRequired = true,
       .betaDoc = "the power src is raised to",
       .sampleLow = 0.5f, .sampleHigh = 2.f,
       .sampleAttrs = {{"exponent", AttrValue::ofFloat(2.5f)}}},
      "elementwise power, x ^ exponent");
  return def;
}

}  // namespace tapeflow::ops
