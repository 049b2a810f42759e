// ops/internal/window.h - the geometry of a sliding window along one axis,
// the one place that computes it for convolution and pooling: the dilated
// span, the padding (VALID, SAME as TensorFlow, EXPLICIT) and the output
// size.
#pragma once

#include <cstdint>
#include <string>

namespace tapeflow::ops {

enum class PadMode { Valid, Same, Explicit };

/// "SAME" and "EXPLICIT" map to their modes, anything else to Valid (the
/// attribute's choices are checked by validation).
PadMode padModeOf(const std::string& padding);

/// Padding before and after one spatial axis.
struct AxisPads {
  int64_t begin = 0;
  int64_t end = 0;
};

/// Span of a dilated window: (kernel - 1) * dilation + 1 (dilation 1: none).
inline int64_t windowSpan(int64_t kernel, int64_t dilation) {
  return (kernel - 1) * dilation + 1;
}

/// Pads of one axis. VALID: none. SAME (TensorFlow): out = ceil(in / stride),
/// total = max((out - 1) * stride + span - in, 0), begin = total / 2 and the
/// odd pixel at the end. EXPLICIT: `given`. Arguments must be positive.
AxisPads computePads(PadMode mode, int64_t in, int64_t kernel, int64_t stride,
                     int64_t dilation, AxisPads given = {});

/// Output size of one axis: (in + begin + end - span) / stride + 1, or 0 when
/// the window does not fit in the padded input.
int64_t windowOutSize(int64_t in, int64_t kernel, int64_t stride,
                      int64_t dilation, AxisPads pads);

}  // namespace tapeflow::ops
