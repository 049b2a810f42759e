// tests/support/reference_activation.h - naive reference loops for the
// activations (LeakyRelu, Elu, Sigmoid, Tanh, Gelu, ScaledTanh) and for
// Softmax/LogSoftmax. Computed in double; clarity over speed.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <numbers>
#include <vector>

#include "core/shape.h"

namespace tapeflow::reference {

inline std::vector<float> map(const std::vector<float>& x,
                              const std::function<double(double)>& f) {
  std::vector<float> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = float(f(double(x[i])));
  return y;
}

inline std::vector<float> leakyRelu(const std::vector<float>& x, float alpha) {
  return map(x, [&](double v) { return v > 0 ? v : alpha * v; });
}

inline std::vector<float> elu(const std::vector<float>& x, float alpha) {
  return map(x, [&](double v) { return v > 0 ? v : alpha * std::expm1(v); });
}

inline std::vector<float> sigmoid(const std::vector<float>& x) {
  return map(x, [](double v) { return 1.0 / (1.0 + std::exp(-v)); });
}

inline std::vector<float> tanh(const std::vector<float>& x) {
  return map(x, [](double v) { return std::tanh(v); });
}

/// x * Phi(x), Phi the standard normal CDF.
inline std::vector<float> geluErf(const std::vector<float>& x) {
  return map(x, [](double v) {
    return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
  });
}

/// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
inline std::vector<float> geluTanh(const std::vector<float>& x) {
  const double k = std::sqrt(2.0 / std::numbers::pi);
  return map(x, [&](double v) {
    return 0.5 * v * (1.0 + std::tanh(k * (v + 0.044715 * v * v * v)));
  });
}

/// a * tanh(s * x).
inline std::vector<float> scaledTanh(const std::vector<float>& x, float a,
                                     float s) {
  return map(x, [&](double v) { return a * std::tanh(s * v); });
}

/// Softmax (or log-softmax) of plain row-major x along `axis` (>= 0).
inline std::vector<float> softmax(const std::vector<float>& x, const Dims& dims,
                                  int axis, bool log) {
  int64_t outer = 1, inner = 1, n = dims[axis];
  for (int d = 0; d < axis; ++d) outer *= dims[d];
  for (size_t d = axis + 1; d < dims.size(); ++d) inner *= dims[d];
  std::vector<float> y(x.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      auto at = [&](int64_t k) { return (o * n + k) * inner + i; };
      double mx = x[at(0)];
      for (int64_t k = 1; k < n; ++k) mx = std::max(mx, double(x[at(k)]));
      double sum = 0;
      for (int64_t k = 0; k < n; ++k) sum += std::exp(double(x[at(k)]) - mx);
      for (int64_t k = 0; k < n; ++k) {
        double z = double(x[at(k)]) - mx;
        y[at(k)] = float(log ? z - std::log(sum) : std::exp(z) / sum);
      }
    }
  return y;
}

}  // namespace tapeflow::reference
