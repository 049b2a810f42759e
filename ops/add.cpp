// ops/add.cpp - Add: c = a + b   (numpy broadcasting)
//   d a = d c,  d b = d c   (summed over broadcast axes by the engine)
#include "ops/internal/binary_common.h"

namespace tapeflow::ops {

const OpDef& addOp() {
  static const OpDef def = makeBinaryOp(
      "Add", {.kind = BinaryKind::Add},
      "elementwise a + b with numpy broadcasting");
  return def;
}

}  // namespace tapeflow::ops
