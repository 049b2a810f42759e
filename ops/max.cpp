// ops/max.cpp - Max: c = max(a, b)   (numpy broadcasting)
//   d a = d c where a >= b (ties go to a), d b = d c - d a
//   (summed over broadcast axes by the engine)
// ONNX's Max is variadic; two inputs are what exporters emit (torch.maximum).
#include "ops/internal/binary_common.h"

namespace tapeflow::ops {

const OpDef& maxOp() {
  static const OpDef def = makeBinaryOp(
      "Max", {.kind = BinaryKind::Max},
      "elementwise max(a, b) with numpy broadcasting; the gradient goes to "
      "the selected input (a on ties)");
  return def;
}

}  // namespace tapeflow::ops
