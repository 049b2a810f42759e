// ops/min.cpp - Min: c = min(a, b)   (numpy broadcasting)
//   d a = d c where a <= b (ties go to a), d b = d c - d a
//   (summed over broadcast axes by the engine)
// ONNX's Min is variadic; two inputs are what exporters emit (torch.minimum).
#include "ops/internal/binary_common.h"

namespace tapeflow::ops {

const OpDef& minOp() {
  static const OpDef def = makeBinaryOp(
      "Min", {.kind = BinaryKind::Min},
      "elementwise min(a, b) with numpy broadcasting; the gradient goes to "
      "the selected input (a on ties)");
  return def;
}

}  // namespace tapeflow::ops
