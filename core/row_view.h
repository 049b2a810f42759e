// core/row_view.h - a strided view of a dense tensor as rows: the part of a
// larger buffer that a Concat input occupies (a sub-memory of the output)
// is, in the layouts the plan hands over, one contiguous run per sample
// with a larger stride between samples. Loops that take such a view read
// or write it without a copy into (or out of) a dense buffer.
#pragma once

#include <cstdint>
#include <optional>

#include <oneapi/dnnl/dnnl.hpp>

namespace tapeflow {

/// `rows` runs of `rowLength` floats; row r starts at
/// offset + r * rowStride floats from the buffer's data handle.
struct RowView {
  int64_t offset = 0, rows = 1, rowLength = 0, rowStride = 0;
};

/// How `view` (e.g. a submemory_desc) lays out the elements that the dense
/// layout `dense` keeps in one block: rows along dim 0, each row `dense`'s
/// row element for element. nullopt unless both are f32 with the same dims,
/// padding and blocking, `dense` is dense with dim 0 outermost, and the two
/// differ at most in dim 0's stride and the offset.
std::optional<RowView> rowViewOf(const dnnl::memory::desc& view,
                                 const dnnl::memory::desc& dense);

}  // namespace tapeflow
