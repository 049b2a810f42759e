// tests/support/reference_conv.h - naive 2-D convolution for forward tests.
// Deliberately simple: clarity over speed. Layouts are plain NCHW / OIHW.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace tapeflow::reference {

/// Convolution parameters in the op's conventions (dilation 1 = dense).
struct ConvParams {
  int64_t strideH = 1, strideW = 1;
  int64_t padTop = 0, padLeft = 0, padBottom = 0, padRight = 0;
  int64_t dilationH = 1, dilationW = 1;
  int64_t groups = 1;
};

/// TensorFlow SAME padding along one axis: {begin, end}.
inline std::pair<int64_t, int64_t> samePads(int64_t in, int64_t kernel,
                                            int64_t stride, int64_t dilation) {
  int64_t out = (in + stride - 1) / stride;
  int64_t span = (kernel - 1) * dilation + 1;
  int64_t total = std::max<int64_t>((out - 1) * stride + span - in, 0);
  return {total / 2, total - total / 2};
}

/// dst[N,O,OH,OW] for src [N,C,H,W], weights [O,C/groups,KH,KW], bias [O]
/// (empty: none). outDims receives {N, O, OH, OW}.
inline std::vector<float> conv2d(const std::vector<float>& src,
                                 const std::vector<int64_t>& srcDims,
                                 const std::vector<float>& weights,
                                 const std::vector<int64_t>& wDims,
                                 const std::vector<float>& bias,
                                 const ConvParams& p,
                                 std::vector<int64_t>* outDims) {
  const int64_t n = srcDims[0], c = srcDims[1], h = srcDims[2], w = srcDims[3];
  const int64_t o = wDims[0], cg = wDims[1], kh = wDims[2], kw = wDims[3];
  const int64_t og = o / p.groups;
  const int64_t oh =
      (h + p.padTop + p.padBottom - ((kh - 1) * p.dilationH + 1)) / p.strideH +
      1;
  const int64_t ow =
      (w + p.padLeft + p.padRight - ((kw - 1) * p.dilationW + 1)) / p.strideW +
      1;
  *outDims = {n, o, oh, ow};
  std::vector<float> dst(n * o * oh * ow);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t oc = 0; oc < o; ++oc) {
      const int64_t g = oc / og;
      for (int64_t y = 0; y < oh; ++y)
        for (int64_t x = 0; x < ow; ++x) {
          double acc = bias.empty() ? 0.0 : bias[oc];
          for (int64_t ic = 0; ic < cg; ++ic)
            for (int64_t ky = 0; ky < kh; ++ky)
              for (int64_t kx = 0; kx < kw; ++kx) {
                int64_t iy = y * p.strideH + ky * p.dilationH - p.padTop;
                int64_t ix = x * p.strideW + kx * p.dilationW - p.padLeft;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                int64_t cin = g * cg + ic;
                acc += double(src[((b * c + cin) * h + iy) * w + ix]) *
                       weights[((oc * cg + ic) * kh + ky) * kw + kx];
              }
          dst[((b * o + oc) * oh + y) * ow + x] = float(acc);
        }
    }
  return dst;
}

}  // namespace tapeflow::reference
