// ops/sub.cpp - Sub: c = a - b   (numpy broadcasting)
//   d a = d c,  d b = -d c   (summed over broadcast axes by the engine)
#include "ops/internal/binary_common.h"

namespace tapeflow::ops {

const OpDef& subOp() {
  static const OpDef def = makeBinaryOp(
      "Sub", {.kind = BinaryKind::Sub},
      "elementwise a - b with numpy broadcasting");
  return def;
}

}  // namespace tapeflow::ops
