// tests/support/reference_linear.h - naive loops for Linear and MatMul.
// Plain row-major data; accumulation in double.
#pragma once

#include <cstdint>
#include <vector>

namespace tapeflow::reference {

/// dst[n,o] = sum_k src[n,k] * w[o,k] + bias[o] (bias may be empty).
inline std::vector<float> linear(const std::vector<float>& src, int64_t n,
                                 int64_t k, const std::vector<float>& w,
                                 int64_t o, const std::vector<float>& bias) {
  std::vector<float> dst(size_t(n * o));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < o; ++j) {
      double acc = bias.empty() ? 0.0 : bias[size_t(j)];
      for (int64_t q = 0; q < k; ++q)
        acc += double(src[size_t(i * k + q)]) * w[size_t(j * k + q)];
      dst[size_t(i * o + j)] = float(acc);
    }
  return dst;
}

/// C[b] = op(A[b]) op(B[b]) for `batch` batches (b shared when bShared).
/// a stores [M,K] ([K,M] when ta), b stores [K,N] ([N,K] when tb).
inline std::vector<float> matmul(const std::vector<float>& a,
                                 const std::vector<float>& b, int64_t batch,
                                 int64_t m, int64_t k, int64_t n, bool ta,
                                 bool tb, bool bShared) {
  std::vector<float> c(size_t(batch * m * n));
  for (int64_t t = 0; t < batch; ++t) {
    const float* pa = a.data() + t * m * k;
    const float* pb = b.data() + (bShared ? 0 : t * k * n);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (int64_t q = 0; q < k; ++q)
          acc += double(ta ? pa[q * m + i] : pa[i * k + q]) *
                 (tb ? pb[j * k + q] : pb[q * n + j]);
        c[size_t(t * m * n + i * n + j)] = float(acc);
      }
  }
  return c;
}

}  // namespace tapeflow::reference
