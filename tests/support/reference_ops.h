// tests/support/reference_ops.h - naive reference loops for forward tests.
// Deliberately simple: clarity over speed. Layouts are plain NCHW / OIHW.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace tapeflow::reference {

inline std::vector<float> relu(const std::vector<float>& x) {
  std::vector<float> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = std::max(x[i], 0.f);
  return y;
}

}  // namespace tapeflow::reference
