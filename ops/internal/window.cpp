// ops/internal/window.cpp - padding and output size of a sliding window.
#include "ops/internal/window.h"

namespace tapeflow::ops {

PadMode padModeOf(const std::string& padding) {
  if (padding == "SAME") return PadMode::Same;
  if (padding == "EXPLICIT") return PadMode::Explicit;
  return PadMode::Valid;
}

AxisPads computePads(PadMode mode, int64_t in, int64_t kernel, int64_t stride,
                     int64_t dilation, AxisPads given) {
  switch (mode) {
    case PadMode::Valid:
      return {};
    case PadMode::Explicit:
      return given;
    case PadMode::Same: {
      int64_t out = (in + stride - 1) / stride;
      int64_t total = (out - 1) * stride + windowSpan(kernel, dilation) - in;
      if (total < 0) total = 0;
      return {total / 2, total - total / 2};
    }
  }
  return {};
}

int64_t windowOutSize(int64_t in, int64_t kernel, int64_t stride,
                      int64_t dilation, AxisPads pads) {
  int64_t padded = in + pads.begin + pads.end;
  int64_t span = windowSpan(kernel, dilation);
  if (span > padded) return 0;
  return (padded - span) / stride + 1;
}

}  // namespace tapeflow::ops
