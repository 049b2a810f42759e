// ops/internal/resample_common.h - the shared body of Upsample and Resize:
// output dims from `scales` or `sizes`, the mode checked against what
// oneDNN resampling computes, and the resampling primitives.
#pragma once

#include "ops/op_kit.h"

namespace tapeflow::ops {

/// Output dims of src input 0 from attribute `scales` (floats) or, when
/// `sizes` is given, `sizes` (ints); each has rank entries (N and C
/// unchanged) or one per spatial dim. Checks `mode` and
/// `coordinate_transformation_mode` (when the op has it): nearest needs
/// integer upscaling (then half_pixel and asymmetric agree), linear is
/// half_pixel (PyTorch align_corners=False).
Dims resampleDims(const NodeView& ctx);

/// Sets shapes, prepare, forward, backward and FLOPs of a resampling op
/// with ports src -> dst.
OpDef& withResamplePhases(OpDef& def);

}  // namespace tapeflow::ops
