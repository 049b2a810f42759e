// core/unbroadcast.cpp - the engine's one broadcast-reduction loop.
//
// NOTE: a plain loop, not a oneDNN reduction: reduction runs jit only when the
// reduced axes are innermost, which a per-channel bias ([1,C,1,1] from
// [N,C,H,W]) is not; this loop walks the source once, contiguously.
#include "core/unbroadcast.h"

#include <algorithm>
#include <vector>

namespace tapeflow {

bool broadcastDims(const Dims& a, const Dims& b, Dims* out) {
  size_t r = std::max(a.size(), b.size());
  Dims d(r);
  for (size_t i = 0; i < r; ++i) {
    int64_t x = i < r - a.size() ? 1 : a[i - (r - a.size())];
    int64_t y = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (x != y && x != 1 && y != 1) return false;
    d[i] = x == 1 ? y : x;
  }
  *out = d;
  return true;
}

void unbroadcastSum(const float* src, const Dims& srcDims, float* dst,
                    const Dims& dstDims) {
  const size_t r = srcDims.size();
  // Align dst dims to src rank; stride 0 on broadcast axes.
  std::vector<int64_t> dstStride(r, 0);
  int64_t s = 1;
  for (size_t k = 0; k < r; ++k) {
    size_t i = r - 1 - k;
    int64_t d = k < dstDims.size() ? dstDims[dstDims.size() - 1 - k] : 1;
    dstStride[i] = d == 1 ? 0 : s;
    s *= d;
  }
  std::fill(dst, dst + s, 0.f);
  if (r == 0) {
    dst[0] = src[0];
    return;
  }
  const int64_t inner = srcDims[r - 1];
  const int64_t innerStride = dstStride[r - 1];
  int64_t outer = 1;
  for (size_t i = 0; i + 1 < r; ++i) outer *= srcDims[i];
  std::vector<int64_t> idx(r, 0);
  for (int64_t o = 0; o < outer; ++o) {
    int64_t base = 0;
    for (size_t i = 0; i + 1 < r; ++i) base += idx[i] * dstStride[i];
    const float* row = src + o * inner;
    if (innerStride == 0) {
      float acc = 0.f;
      for (int64_t j = 0; j < inner; ++j) acc += row[j];
      dst[base] += acc;
    } else {
      float* out = dst + base;
      for (int64_t j = 0; j < inner; ++j) out[j] += row[j];
    }
    for (int i = int(r) - 2; i >= 0; --i) {
      if (++idx[i] < srcDims[i]) break;
      idx[i] = 0;
    }
  }
}

}  // namespace tapeflow
