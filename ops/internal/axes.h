// ops/internal/axes.h - axis attributes (ONNX: negative counts from the end)
// checked against a rank, with messages that name the attribute.
#pragma once

#include <string>
#include <vector>

#include "ops/op_kit.h"

namespace tapeflow::ops {

/// `axis` in [-rank, rank) resolved to [0, rank); fails naming `attr`.
int64_t resolveAxis(const NodeView& ctx, const std::string& attr,
                    int64_t axis, int64_t rank);
/// Every entry resolved as above; fails on a repeated axis.
std::vector<int64_t> resolveAxes(const NodeView& ctx, const std::string& attr,
                                 const std::vector<int64_t>& axes,
                                 int64_t rank);
/// "[a,b,c]" of a list of ints.
std::string intsStr(const std::vector<int64_t>& v);

}  // namespace tapeflow::ops
