// ops/square.cpp - Square: dst = src^2
//   d src = d dst * 2 src
#include "ops/internal/eltwise_common.h"

namespace tapeflow::ops {

const OpDef& squareOp() {
  static const OpDef def = makeEltwiseOp(
      "Square", {.alg = algorithm::eltwise_square},
      "elementwise square, x * x");
  return def;
}

}  // namespace tapeflow::ops
