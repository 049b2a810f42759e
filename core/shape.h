// core/shape.h - dimensions, dtypes and checked element counts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tapeflow {

/// Tensor dimensions, outermost first (NCHW for images). -1 marks the batch
/// dimension in a graph declaration; runtime shapes are always concrete.
using Dims = std::vector<int64_t>;

/// Element types. F32 is the compute type; I32 carries labels and indices.
enum class DType { F32, I32 };

/// Largest rank accepted anywhere (oneDNN's own limit is 12).
inline constexpr int kMaxRank = 8;
/// Largest element count of one tensor (2^31 - 1, oneDNN's int32 offsets).
inline constexpr int64_t kMaxElements = (int64_t{1} << 31) - 1;

/// "f32" / "i32".
const char* dtypeName(DType t);
/// "[a,b,c]"; -1 prints as "N" when batchAsN is set.
std::string dimsStr(const Dims& dims, bool batchAsN = false);
/// Product of dims, or -1 if any dim is negative or the product exceeds
/// kMaxElements (overflow-safe in any order).
int64_t checkedNumel(const Dims& dims);
/// Product of dims; dims must be valid (internal use).
int64_t numel(const Dims& dims);

}  // namespace tapeflow
