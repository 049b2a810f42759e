// ops/reduce_max.cpp - ReduceMax: dst = max over axes of src
//   d src = d dst / ties where src == dst, else 0 (ties: maxima per output)
// Attributes as ONNX: axes (empty: all), keepdims (default 1).
#include "ops/internal/reduce_common.h"

namespace tapeflow::ops {

const OpDef& reduceMaxOp() {
  static const OpDef def =
      makeReduceOp("ReduceMax", ReduceKind::Max, "largest element along axes");
  return def;
}

}  // namespace tapeflow::ops
