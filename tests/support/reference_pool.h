// tests/support/reference_pool.h - naive loops for pooling, Pad and Concat.
// Deliberately simple: clarity over speed. Layouts are plain row-major.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

namespace tapeflow::reference {

/// Window of a 2-D pooling: kernel, stride, pads (top, left, bottom, right).
struct PoolWindow {
  int64_t kh = 1, kw = 1, sh = 1, sw = 1;
  int64_t top = 0, left = 0, bottom = 0, right = 0;
  int64_t outH(int64_t h) const { return (h + top + bottom - kh) / sh + 1; }
  int64_t outW(int64_t w) const { return (w + left + right - kw) / sw + 1; }
};

/// TensorFlow SAME pads of one axis: {begin, end}.
inline std::pair<int64_t, int64_t> samePads(int64_t in, int64_t k, int64_t s) {
  int64_t out = (in + s - 1) / s;
  int64_t total = std::max<int64_t>((out - 1) * s + k - in, 0);
  return {total / 2, total - total / 2};
}

/// Max (avg = false) or average pooling of x [n,c,h,w]. Average divides by
/// kh*kw when includePad, else by the input pixels in the window.
inline std::vector<float> pool2d(const std::vector<float>& x, int64_t n,
                                 int64_t c, int64_t h, int64_t w,
                                 const PoolWindow& p, bool avg,
                                 bool includePad) {
  const int64_t oh = p.outH(h), ow = p.outW(w);
  std::vector<float> y(n * c * oh * ow);
  for (int64_t b = 0; b < n * c; ++b)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        float best = -std::numeric_limits<float>::infinity();
        double sum = 0;
        int64_t count = 0;
        for (int64_t u = 0; u < p.kh; ++u)
          for (int64_t v = 0; v < p.kw; ++v) {
            int64_t r = i * p.sh - p.top + u, q = j * p.sw - p.left + v;
            if (r < 0 || r >= h || q < 0 || q >= w) continue;
            float val = x[(b * h + r) * w + q];
            best = std::max(best, val);
            sum += val;
            ++count;
          }
        float out = best;
        if (avg) out = float(sum / double(includePad ? p.kh * p.kw : count));
        y[(b * oh + i) * ow + j] = out;
      }
  return y;
}

/// Constant padding of x (dims) with pads = all begins, then all ends.
inline std::vector<float> pad(const std::vector<float>& x,
                              const std::vector<int64_t>& dims,
                              const std::vector<int64_t>& pads, float value) {
  const size_t rank = dims.size();
  std::vector<int64_t> out(rank);
  int64_t total = 1;
  for (size_t d = 0; d < rank; ++d) {
    out[d] = dims[d] + pads[d] + pads[rank + d];
    total *= out[d];
  }
  std::vector<float> y(total, value);
  std::vector<int64_t> idx(rank, 0);
  for (size_t flat = 0; flat < x.size(); ++flat) {
    int64_t o = 0;
    for (size_t d = 0; d < rank; ++d) o = o * out[d] + idx[d] + pads[d];
    y[o] = x[flat];
    for (size_t d = rank; d-- > 0;) {
      if (++idx[d] < dims[d]) break;
      idx[d] = 0;
    }
  }
  return y;
}

/// Concatenation of row-major tensors along axis (all other dims equal).
inline std::vector<float> concat(const std::vector<std::vector<float>>& xs,
                                 const std::vector<std::vector<int64_t>>& dims,
                                 size_t axis) {
  int64_t outer = 1, inner = 1;
  for (size_t d = 0; d < axis; ++d) outer *= dims[0][d];
  for (size_t d = axis + 1; d < dims[0].size(); ++d) inner *= dims[0][d];
  std::vector<float> y;
  for (int64_t o = 0; o < outer; ++o)
    for (size_t i = 0; i < xs.size(); ++i) {
      int64_t chunk = dims[i][axis] * inner;
      y.insert(y.end(), xs[i].begin() + o * chunk,
               xs[i].begin() + (o + 1) * chunk);
    }
  return y;
}

}  // namespace tapeflow::reference
