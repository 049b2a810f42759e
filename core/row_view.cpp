// core/row_view.cpp - rowViewOf.
#include "core/row_view.h"

namespace tapeflow {

std::optional<RowView> rowViewOf(const dnnl::memory::desc& view,
                                 const dnnl::memory::desc& dense) {
  const dnnl_memory_desc_t &v = view.data, &d = dense.data;
  if (v.data_type != dnnl_f32 || d.data_type != dnnl_f32 ||
      v.format_kind != dnnl_blocked || d.format_kind != dnnl_blocked ||
      v.ndims != d.ndims || v.ndims < 1 || d.offset0 != 0)
    return std::nullopt;
  const int r = v.ndims;
  const auto &vb = v.format_desc.blocking, &db = d.format_desc.blocking;
  if (vb.inner_nblks != db.inner_nblks) return std::nullopt;
  for (int k = 0; k < vb.inner_nblks; ++k)
    if (vb.inner_blks[k] != db.inner_blks[k] ||
        vb.inner_idxs[k] != db.inner_idxs[k] || db.inner_idxs[k] == 0)
      return std::nullopt;
  for (int i = 0; i < r; ++i)
    if (v.dims[i] != d.dims[i] || v.padded_dims[i] != d.padded_dims[i] ||
        v.padded_offsets[i] != 0 || d.padded_offsets[i] != 0 ||
        (i > 0 && vb.strides[i] != db.strides[i]))
      return std::nullopt;
  const int64_t rows = d.dims[0];
  if (rows < 1) return std::nullopt;
  const int64_t total = int64_t(dense.get_size() / sizeof(float));
  if (total % rows != 0) return std::nullopt;
  const int64_t length = total / rows;
  // Dense, dim 0 outermost: every other dim's elements fit in one row.
  int64_t inner = 1;
  for (int i = 1; i < r; ++i) inner *= d.padded_dims[i];
  if (inner != length || (rows > 1 && db.strides[0] != length))
    return std::nullopt;
  RowView out;
  out.offset = v.offset0;
  out.rows = rows;
  out.rowLength = length;
  out.rowStride = rows > 1 ? vb.strides[0] : length;
  if (out.rowStride < length) return std::nullopt;
  return out;
}

}  // namespace tapeflow
