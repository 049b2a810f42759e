// ops/log.cpp - Log: dst = ln(src)
//   d src = d dst / src
// NOTE: src <= 0 gives -inf or NaN, as in ONNX; the samples draw src from
// [0.5, 2).
#include "ops/internal/eltwise_common.h"

namespace tapeflow::ops {

const OpDef& logOp() {
  static const OpDef def = makeEltwiseOp(
      "Log",
      {.alg = algorithm::eltwise_log, .sampleLow = 0.5f, .sampleHigh = 2.f},
      "elementwise natural logarithm, ln(x)");
  return def;
}

}  // namespace tapeflow::ops
