// tests/support/reference_binary.h - naive reference loops for the binary
// ops (numpy broadcasting) and the dims-only ops (Reshape, Flatten).
// Deliberately simple: clarity over speed. Plain row-major data.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/shape.h"

namespace tapeflow::reference {

/// numpy broadcast of two shapes (align right, dims equal or 1); the
/// reference's own copy, independent of the engine's.
inline Dims broadcastShape(const Dims& a, const Dims& b) {
  size_t r = std::max(a.size(), b.size());
  Dims out(r);
  for (size_t i = 0; i < r; ++i) {
    int64_t x = i + a.size() < r ? 1 : a[i + a.size() - r];
    int64_t y = i + b.size() < r ? 1 : b[i + b.size() - r];
    out[i] = x == 1 ? y : x;
  }
  return out;
}

/// Flat index into `dims` (right-aligned against `outIdx`, broadcast axes
/// of size 1 read element 0).
inline int64_t broadcastIndex(const Dims& dims, const Dims& outIdx) {
  int64_t flat = 0;
  size_t off = outIdx.size() - dims.size();
  for (size_t i = 0; i < dims.size(); ++i)
    flat = flat * dims[i] + (dims[i] == 1 ? 0 : outIdx[off + i]);
  return flat;
}

/// c[i] = f(a[ia], b[ib]) over the broadcast shape.
inline std::vector<float> broadcastBinary(
    const std::vector<float>& a, const Dims& aDims,
    const std::vector<float>& b, const Dims& bDims,
    const std::function<float(float, float)>& f) {
  Dims out = broadcastShape(aDims, bDims);
  int64_t n = 1;
  for (int64_t d : out) n *= d;
  std::vector<float> c(n);
  Dims idx(out.size(), 0);
  for (int64_t k = 0; k < n; ++k) {
    c[k] = f(a[broadcastIndex(aDims, idx)], b[broadcastIndex(bDims, idx)]);
    for (int i = int(out.size()) - 1; i >= 0; --i) {
      if (++idx[i] < out[i]) break;
      idx[i] = 0;
    }
  }
  return c;
}

/// Sum of g (in the broadcast shape `outDims`) into an input of `dims`:
/// the reference gradient reduction.
inline std::vector<float> sumTo(const std::vector<float>& g,
                                const Dims& outDims, const Dims& dims) {
  int64_t n = 1, m = 1;
  for (int64_t d : outDims) n *= d;
  for (int64_t d : dims) m *= d;
  std::vector<float> r(m, 0.f);
  Dims idx(outDims.size(), 0);
  for (int64_t k = 0; k < n; ++k) {
    r[broadcastIndex(dims, idx)] += g[k];
    for (int i = int(outDims.size()) - 1; i >= 0; --i) {
      if (++idx[i] < outDims[i]) break;
      idx[i] = 0;
    }
  }
  return r;
}

}  // namespace tapeflow::reference
