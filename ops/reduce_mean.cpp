// ops/reduce_mean.cpp - ReduceMean: dst = mean over axes of src
//   d src = d dst / count, broadcast back (count: elements per output)
// Attributes as ONNX: axes (empty: all), keepdims (default 1).
#include "ops/internal/reduce_common.h"

namespace tapeflow::ops {

const OpDef& reduceMeanOp() {
  static const OpDef def =
      makeReduceOp("ReduceMean", ReduceKind::Mean, "mean of the elements along axes");
  return def;
}

}  // namespace tapeflow::ops
