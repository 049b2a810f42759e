// ops/internal/strided_view.cpp - the reorder behind Transpose and Slice.
// NOTE: the view's memory object is created once in prepare without a
// handle; run() points it at the buffer of the step (plus the offset).
#include "ops/internal/strided_view.h"

namespace tapeflow::ops {

std::vector<int64_t> plainStrides(const Dims& dims) {
  std::vector<int64_t> s(dims.size(), 1);
  for (int i = int(dims.size()) - 2; i >= 0; --i) s[i] = s[i + 1] * dims[i + 1];
  return s;
}

ViewCopy::ViewCopy(PrepareContext& ctx, const StridedView& view,
                   Direction dir, const char* what)
    : offset_(view.offset), dir_(dir) {
  Dims dims = view.dims;
  dnnl::memory::dims strides(view.strides.begin(), view.strides.end());
  if (dims.empty()) {  // a scalar: one element
    dims = {1};
    strides = {1};
  }
  dnnl::memory::desc viewMd(toDnnl(dims), dt::f32, strides);
  dnnl::memory::desc plainMd = plainDesc(dims);
  dnnl::reorder::primitive_desc pd =
      dir == Gather ? dnnl::reorder::primitive_desc(ctx.engine(), viewMd,
                                                    ctx.engine(), plainMd)
                    : dnnl::reorder::primitive_desc(ctx.engine(), plainMd,
                                                    ctx.engine(), viewMd);
  if (what) ctx.noteImpl(what, pd.impl_info_str());
  prim_ = dnnl::reorder(pd);
  view_ = dnnl::memory(viewMd, ctx.engine(), DNNL_MEMORY_NONE);
  plain_ = dnnl::memory(plainMd, ctx.engine(), DNNL_MEMORY_NONE);
}

void ViewCopy::run(dnnl::stream& s, const dnnl::memory& viewed,
                   const dnnl::memory& plain) {
  view_.set_data_handle(hostPtr(viewed) + offset_);
  plain_.set_data_handle(plain.get_data_handle());
  if (dir_ == Gather)
    prim_.execute(s, {{DNNL_ARG_FROM, view_}, {DNNL_ARG_TO, plain_}});
  else
    prim_.execute(s, {{DNNL_ARG_FROM, plain_}, {DNNL_ARG_TO, view_}});
}

}  // namespace tapeflow::ops
