// ops/internal/reduce_common.h - the shared body of ReduceSum, ReduceMean
// and ReduceMax: ONNX's `axes` (ints, negative counts from the end, empty =
// all) and `keepdims` (1: reduced axes stay as 1; 0: they are dropped), one
// oneDNN reduction forward, and a backward that broadcasts the upstream
// gradient back with binary primitives (oneDNN 2.6 has no reduction
// backward).
#pragma once

#include <string>

#include "ops/op_kit.h"

namespace tapeflow::ops {

enum class ReduceKind { Sum, Mean, Max };

/// Builds the OpDef of a reduction with ports src -> dst.
OpDef makeReduceOp(std::string name, ReduceKind kind, std::string doc);

}  // namespace tapeflow::ops
