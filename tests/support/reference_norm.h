// tests/support/reference_norm.h - naive loops for the normalisation ops
// (LayerNorm, GroupNorm), in double.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace tapeflow::reference {

/// Rows [outer, inner] normalised, then y = xhat * scale[i] + bias[i]
/// (bias empty: none).
inline std::vector<float> layerNorm(const std::vector<float>& x, int64_t outer,
                                    int64_t inner,
                                    const std::vector<float>& scale,
                                    const std::vector<float>& bias,
                                    float eps) {
  std::vector<float> y(x.size());
  for (int64_t r = 0; r < outer; ++r) {
    const float* row = x.data() + r * inner;
    double mean = 0, var = 0;
    for (int64_t i = 0; i < inner; ++i) mean += row[i];
    mean /= double(inner);
    for (int64_t i = 0; i < inner; ++i) var += (row[i] - mean) * (row[i] - mean);
    var /= double(inner);
    for (int64_t i = 0; i < inner; ++i) {
      double xhat = (row[i] - mean) / std::sqrt(var + eps);
      y[size_t(r * inner + i)] =
          float(xhat * scale[size_t(i)] + (bias.empty() ? 0.f : bias[size_t(i)]));
    }
  }
  return y;
}

/// [N, C, spatial] with C split into `groups` groups normalised together,
/// then a per-channel affine.
inline std::vector<float> groupNorm(const std::vector<float>& x, int64_t n,
                                    int64_t c, int64_t spatial, int64_t groups,
                                    const std::vector<float>& scale,
                                    const std::vector<float>& bias,
                                    float eps) {
  const int64_t per = c / groups * spatial;
  std::vector<float> ones(size_t(per), 1.f);
  std::vector<float> y = layerNorm(x, n * groups, per, ones, {}, eps);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t s = 0; s < spatial; ++s) {
        float& v = y[size_t((i * c + ch) * spatial + s)];
        v = v * scale[size_t(ch)] + bias[size_t(ch)];
      }
  return y;
}

}  // namespace tapeflow::reference
