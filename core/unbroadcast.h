// core/unbroadcast.h - sums a gradient in broadcast (output) geometry down
// to the dims of the input that was broadcast (numpy rules, right-aligned).
#pragma once

#include "core/shape.h"

namespace tapeflow {

/// dst[dstDims] = sum over broadcast axes of src[srcDims]. Both plain
/// row-major; dstDims broadcasts to srcDims.
void unbroadcastSum(const float* src, const Dims& srcDims, float* dst,
                    const Dims& dstDims);

/// numpy broadcast of two shapes; false when incompatible.
bool broadcastDims(const Dims& a, const Dims& b, Dims* out);

}  // namespace tapeflow
