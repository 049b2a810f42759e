// ops/internal/strided_view.h - copies between a plain tensor and a strided
// view of another plain buffer (Transpose, Slice): one oneDNN reorder between
// a plain desc and a desc with arbitrary strides, plus an element offset.
#pragma once

#include "ops/op_kit.h"

namespace tapeflow::ops {

/// A view into a plain buffer: `dims`, element `strides`, first element at
/// `offset` elements from the buffer's start.
struct StridedView {
  Dims dims;
  std::vector<int64_t> strides;
  int64_t offset = 0;
};

/// Row-major strides of plain dims.
std::vector<int64_t> plainStrides(const Dims& dims);

/// One reorder between a view and a plain tensor of the view's dims.
class ViewCopy {
 public:
  /// Gather: view -> plain. Scatter: plain -> view.
  enum Direction { Gather, Scatter };
  ViewCopy() = default;
  ViewCopy(PrepareContext& ctx, const StridedView& view, Direction dir,
           const char* what);
  /// Copies between the view of `viewed` and `plain` (direction as built).
  void run(dnnl::stream& s, const dnnl::memory& viewed,
           const dnnl::memory& plain);

 private:
  dnnl::reorder prim_;
  dnnl::memory view_, plain_;
  int64_t offset_ = 0;
  Direction dir_ = Gather;
};

}  // namespace tapeflow::ops
