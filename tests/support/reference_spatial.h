// tests/support/reference_spatial.h - naive loops for the spatial ops
// (ConvTranspose2D as a scatter, nearest and bilinear resampling).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace tapeflow::reference {

struct ConvTransposeParams {
  int64_t stride[2] = {1, 1}, dilation[2] = {1, 1};
  int64_t padBegin[2] = {0, 0}, padEnd[2] = {0, 0}, outPad[2] = {0, 0};
  int64_t groups = 1;
};

/// src [N,C,H,W], weights [C, O/groups, KH, KW], bias [O] (empty: none):
/// every src pixel scatters weights into dst. outDims gets {N,O,OH,OW}.
inline std::vector<float> convTranspose2d(
    const std::vector<float>& src, const std::vector<int64_t>& sd,
    const std::vector<float>& w, const std::vector<int64_t>& wd,
    const std::vector<float>& bias, const ConvTransposeParams& p,
    std::vector<int64_t>* outDims) {
  const int64_t n = sd[0], c = sd[1], h = sd[2], wi = sd[3];
  const int64_t og = wd[1], kh = wd[2], kw = wd[3], o = og * p.groups;
  const int64_t cg = c / p.groups;
  int64_t out[2];
  for (int a = 0; a < 2; ++a)
    out[a] = (sd[2 + a] - 1) * p.stride[a] - p.padBegin[a] - p.padEnd[a] +
             p.dilation[a] * (wd[2 + a] - 1) + p.outPad[a] + 1;
  *outDims = {n, o, out[0], out[1]};
  std::vector<float> dst(size_t(n * o * out[0] * out[1]), 0.f);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ic = 0; ic < c; ++ic)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < wi; ++x)
          for (int64_t oo = 0; oo < og; ++oo)
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j) {
                int64_t oy = y * p.stride[0] - p.padBegin[0] + i * p.dilation[0];
                int64_t ox = x * p.stride[1] - p.padBegin[1] + j * p.dilation[1];
                if (oy < 0 || oy >= out[0] || ox < 0 || ox >= out[1]) continue;
                int64_t oc = ic / cg * og + oo;
                dst[size_t(((b * o + oc) * out[0] + oy) * out[1] + ox)] +=
                    src[size_t(((b * c + ic) * h + y) * wi + x)] *
                    w[size_t(((ic * og + oo) * kh + i) * kw + j)];
              }
  if (!bias.empty())
    for (int64_t b = 0; b < n; ++b)
      for (int64_t oc = 0; oc < o; ++oc)
        for (int64_t k = 0; k < out[0] * out[1]; ++k)
          dst[size_t((b * o + oc) * out[0] * out[1] + k)] += bias[size_t(oc)];
  return dst;
}

/// [N, C, H, W] resampled to [N, C, OH, OW]. Nearest: src index
/// floor(o * in / out) (integer scales). Linear: half-pixel centres
/// (PyTorch align_corners=False), edges clamped.
inline std::vector<float> resample2d(const std::vector<float>& x, int64_t nc,
                                     int64_t h, int64_t w, int64_t oh,
                                     int64_t ow, bool linear) {
  std::vector<float> y(size_t(nc * oh * ow));
  auto taps = [linear](int64_t o, int64_t in, int64_t out, int64_t* i0,
                       int64_t* i1, double* f) {
    if (!linear) {
      *i0 = *i1 = o * in / out;
      *f = 0;
      return;
    }
    double s = (o + 0.5) * double(in) / double(out) - 0.5;
    s = std::max(s, 0.0);
    *i0 = std::min(int64_t(std::floor(s)), in - 1);
    *i1 = std::min(*i0 + 1, in - 1);
    *f = s - double(*i0);
  };
  for (int64_t p = 0; p < nc; ++p)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        int64_t y0, y1, x0, x1;
        double fy, fx;
        taps(oy, h, oh, &y0, &y1, &fy);
        taps(ox, w, ow, &x0, &x1, &fx);
        auto at = [&](int64_t yy, int64_t xx) {
          return double(x[size_t((p * h + yy) * w + xx)]);
        };
        double top = at(y0, x0) * (1 - fx) + at(y0, x1) * fx;
        double bot = at(y1, x0) * (1 - fx) + at(y1, x1) * fx;
        y[size_t((p * oh + oy) * ow + ox)] = float(top * (1 - fy) + bot * fy);
      }
  return y;
}

}  // namespace tapeflow::reference
