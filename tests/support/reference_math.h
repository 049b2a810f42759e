// tests/support/reference_math.h - naive reference loops for the math ops
// (Exp, Log, Sqrt, Pow, Abs, Neg, Clip, Square, Softplus, Swish, SiLU,
// HardSigmoid, PRelu) and the reductions (ReduceSum/Mean/Max, global
// pooling). Computed in double; clarity over speed.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/shape.h"
#include "tests/support/reference_activation.h"

namespace tapeflow::reference {

inline double softplus(double v) {
  return std::max(v, 0.0) + std::log1p(std::exp(-std::fabs(v)));
}
inline double swish(double v, double beta) {
  return v / (1.0 + std::exp(-beta * v));
}
inline double hardSigmoid(double v, double alpha, double beta) {
  return std::clamp(alpha * v + beta, 0.0, 1.0);
}

/// PRelu with the slope viewed as `slopeView` (src's rank, 1 = broadcast).
inline std::vector<float> prelu(const std::vector<float>& x, const Dims& dims,
                                const std::vector<float>& slope,
                                const Dims& slopeView) {
  std::vector<float> y(x.size());
  std::vector<int64_t> idx(dims.size(), 0);
  for (size_t i = 0; i < x.size(); ++i) {
    int64_t k = 0;
    for (size_t d = 0; d < dims.size(); ++d)
      k = k * slopeView[d] + (slopeView[d] == 1 ? 0 : idx[d]);
    y[i] = x[i] > 0 ? x[i] : float(double(slope[k]) * x[i]);
    for (int64_t d = int64_t(dims.size()) - 1; d >= 0; --d)
      if (++idx[d] < dims[d]) break; else idx[d] = 0;
  }
  return y;
}

enum class Reduce { Sum, Mean, Max };

/// Reduces plain x over the axes flagged in `reduced` (one flag per dim);
/// the result has x's rank with 1 on the reduced axes (keepdims).
inline std::vector<float> reduce(const std::vector<float>& x, const Dims& dims,
                                 const std::vector<bool>& reduced, Reduce op) {
  Dims out = dims;
  int64_t count = 1;
  for (size_t d = 0; d < dims.size(); ++d)
    if (reduced[d]) {
      out[d] = 1;
      count *= dims[d];
    }
  std::vector<double> acc(numel(out), op == Reduce::Max
                                           ? -std::numeric_limits<double>::infinity()
                                           : 0.0);
  std::vector<int64_t> idx(dims.size(), 0);
  for (size_t i = 0; i < x.size(); ++i) {
    int64_t k = 0;
    for (size_t d = 0; d < dims.size(); ++d)
      k = k * out[d] + (reduced[d] ? 0 : idx[d]);
    acc[k] = op == Reduce::Max ? std::max(acc[k], double(x[i])) : acc[k] + x[i];
    for (int64_t d = int64_t(dims.size()) - 1; d >= 0; --d)
      if (++idx[d] < dims[d]) break; else idx[d] = 0;
  }
  std::vector<float> y(acc.size());
  for (size_t k = 0; k < acc.size(); ++k)
    y[k] = float(op == Reduce::Mean ? acc[k] / double(count) : acc[k]);
  return y;
}

}  // namespace tapeflow::reference
