// ops/div.cpp - Div: c = a / b   (numpy broadcasting)
//   d a = d c / b,  d b = -d c * a / b^2 = -(d c / b) * c
//   (summed over broadcast axes by the engine)
// NOTE: samples draw both inputs from [0.5, 2) to keep the divisor away from
// 0; the finite-difference error of d b is then at most step^2 / b^2 = 4e-4
// relative, inside the default tolerance.
#include "ops/internal/binary_common.h"

namespace tapeflow::ops {

const OpDef& divOp() {
  static const OpDef def = makeBinaryOp(
      "Div", {.kind = BinaryKind::Div, .sampleLow = 0.5f, .sampleHigh = 2.f},
      "elementwise a / b with numpy broadcasting");
  return def;
}

}  // namespace tapeflow::ops
