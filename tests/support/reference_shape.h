// tests/support/reference_shape.h - naive loops for the data-movement ops
// (Transpose, Slice, Gather): index arithmetic spelled out per element.
#pragma once

#include <cstdint>
#include <vector>

#include "core/shape.h"

namespace tapeflow::reference {

/// Multi-index of flat position `flat` in row-major `dims`.
inline std::vector<int64_t> unravel(int64_t flat, const Dims& dims) {
  std::vector<int64_t> idx(dims.size());
  for (int k = int(dims.size()) - 1; k >= 0; --k) {
    idx[size_t(k)] = flat % dims[size_t(k)];
    flat /= dims[size_t(k)];
  }
  return idx;
}

/// Row-major flat position of a multi-index.
inline int64_t ravel(const std::vector<int64_t>& idx, const Dims& dims) {
  int64_t flat = 0;
  for (size_t k = 0; k < dims.size(); ++k) flat = flat * dims[k] + idx[k];
  return flat;
}

/// dst dim k = src dim perm[k].
inline std::vector<float> transpose(const std::vector<float>& x,
                                    const Dims& dims,
                                    const std::vector<int64_t>& perm) {
  Dims out(dims.size());
  for (size_t k = 0; k < perm.size(); ++k) out[k] = dims[size_t(perm[k])];
  std::vector<float> y(x.size());
  for (int64_t f = 0; f < int64_t(y.size()); ++f) {
    std::vector<int64_t> o = unravel(f, out), i(dims.size());
    for (size_t k = 0; k < perm.size(); ++k) i[size_t(perm[k])] = o[k];
    y[size_t(f)] = x[size_t(ravel(i, dims))];
  }
  return y;
}

/// Per-axis begin and step already resolved; `out` the sliced dims.
inline std::vector<float> slice(const std::vector<float>& x, const Dims& dims,
                                const Dims& out,
                                const std::vector<int64_t>& begin,
                                const std::vector<int64_t>& step) {
  std::vector<float> y(size_t(numel(out)));
  for (int64_t f = 0; f < int64_t(y.size()); ++f) {
    std::vector<int64_t> o = unravel(f, out);
    for (size_t k = 0; k < o.size(); ++k) o[k] = begin[k] + o[k] * step[k];
    y[size_t(f)] = x[size_t(ravel(o, dims))];
  }
  return y;
}

/// ONNX Gather along `axis` with (already non-negative) indices.
inline std::vector<float> gather(const std::vector<float>& x, const Dims& dims,
                                 const std::vector<int64_t>& idx, int axis) {
  int64_t outer = 1, inner = 1;
  for (int k = 0; k < axis; ++k) outer *= dims[size_t(k)];
  for (size_t k = size_t(axis) + 1; k < dims.size(); ++k) inner *= dims[k];
  std::vector<float> y;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j : idx)
      for (int64_t i = 0; i < inner; ++i)
        y.push_back(x[size_t((o * dims[size_t(axis)] + j) * inner + i)]);
  return y;
}

}  // namespace tapeflow::reference
