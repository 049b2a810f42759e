// ops/mul.cpp - Mul: c = a * b   (numpy broadcasting)
//   d a = d c * b,  d b = d c * a   (summed over broadcast axes by the engine)
#include "ops/internal/binary_common.h"

namespace tapeflow::ops {

const OpDef& mulOp() {
  static const OpDef def = makeBinaryOp(
      "Mul", {.kind = BinaryKind::Mul},
      "elementwise a * b with numpy broadcasting");
  return def;
}

}  // namespace tapeflow::ops
