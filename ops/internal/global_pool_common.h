// ops/internal/global_pool_common.h - the shared body of GlobalAveragePool
// and GlobalMaxPool: [N,C,H,W] -> [N,C,1,1] with one oneDNN pooling whose
// window is the whole image, forward and backward.
#pragma once

#include <string>

#include "ops/op_kit.h"

namespace tapeflow::ops {

/// Builds the OpDef of a global pooling op with ports src -> dst; `alg` is
/// pooling_max or pooling_avg_exclude_padding.
OpDef makeGlobalPoolOp(std::string name, algorithm alg, std::string doc);

}  // namespace tapeflow::ops
