// core/shape.cpp - dims helpers.
#include "core/shape.h"

namespace tapeflow {

const char* dtypeName(DType t) {
  switch (t) {
    case DType::F32: return "f32";
    case DType::I32: return "i32";
  }
  return "?";
}

std::string dimsStr(const Dims& dims, bool batchAsN) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ",";
    s += (batchAsN && dims[i] == -1) ? "N" : std::to_string(dims[i]);
  }
  return s + "]";
}

int64_t checkedNumel(const Dims& dims) {
  int64_t n = 1;
  bool zero = false;
  for (int64_t d : dims) {
    if (d < 0) return -1;
    if (d == 0) zero = true;
  }
  if (zero) return 0;
  for (int64_t d : dims) {
    if (n > kMaxElements / d) return -1;
    n *= d;
  }
  return n;
}

int64_t numel(const Dims& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

}  // namespace tapeflow
