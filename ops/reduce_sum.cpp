// ops/reduce_sum.cpp - ReduceSum: dst = sum over axes of src
//   d src = d dst, broadcast back over the reduced axes
// Attributes as ONNX: axes (empty: all), keepdims (default 1).
#include "ops/internal/reduce_common.h"

namespace tapeflow::ops {

const OpDef& reduceSumOp() {
  static const OpDef def =
      makeReduceOp("ReduceSum", ReduceKind::Sum, "sum of the elements along axes");
  return def;
}

}  // namespace tapeflow::ops
