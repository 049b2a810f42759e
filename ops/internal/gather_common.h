// ops/internal/gather_common.h - the row gather shared by Gather and
// Embedding: data viewed as [outer, axisDim, inner], rows picked by i32
// indices, with the index check and the scatter-add of the gradient.
#pragma once

#include "ops/op_kit.h"

namespace tapeflow::ops {

struct GatherGeometry {
  int64_t outer = 1, axisDim = 1, inner = 1;  ///< data as [outer, axisDim, inner]
  int64_t count = 1;                          ///< number of indices
  bool negative = false;  ///< indices may count from the end (ONNX Gather)
  const char* what = "axis";  ///< names the gathered axis in messages
};

/// Prepare of an op with inputs data (F32) at `dataAt` and indices (I32) at
/// 1 - dataAt, output dst [outer, count, inner].
void prepareGather(PrepareContext& ctx, const GatherGeometry& g, int dataAt);
/// Copies the indexed rows. An index out of range is a run-time error
/// (DataError) naming the node, the index, its position and the axis size.
void forwardGather(ExecContext& ctx);
/// d data = zeros, then each row of d dst added to the row it came from.
void backwardGather(GradContext& ctx);

}  // namespace tapeflow::ops
