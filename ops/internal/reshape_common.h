// ops/internal/reshape_common.h - the shared body of the ops that only
// change dims (Reshape, Flatten): the output is the input's data, plain
// row-major, under the dims inferShapes chose.
#pragma once

#include "ops/op_kit.h"

namespace tapeflow::ops {

/// Sets prepare, forward, backward and FLOPs (0) of a dims-only op with
/// ports src -> dst. The op supplies ports, attributes and inferShapes.
OpDef& withReshapePhases(OpDef& def);

}  // namespace tapeflow::ops
