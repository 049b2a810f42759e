// ops/internal/softmax_common.h - the shared body of Softmax and LogSoftmax:
// oneDNN softmax_v2 forward and backward (backward reads dst) along the
// `axis` attribute, on plain data.
#pragma once

#include <string>

#include "ops/op_kit.h"

namespace tapeflow::ops {

/// Builds the OpDef of a softmax-like op with ports src -> dst and an Int
/// attribute `axis` (default -1, negative counts from the end; out of range
/// is an AttrError). `alg` is softmax_accurate or softmax_log.
OpDef makeSoftmaxOp(std::string name, algorithm alg, std::string doc);

}  // namespace tapeflow::ops
