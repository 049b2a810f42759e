// ops/internal/axes.cpp - axis attributes checked against a rank.
#include "ops/internal/axes.h"

#include <algorithm>

namespace tapeflow::ops {

std::string intsStr(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

int64_t resolveAxis(const NodeView& ctx, const std::string& attr,
                    int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    ctx.failAttr(attr, "axis " + std::to_string(axis) + " is out of range [" +
                           std::to_string(-rank) + ", " +
                           std::to_string(rank - 1) + "] for rank " +
                           std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

std::vector<int64_t> resolveAxes(const NodeView& ctx, const std::string& attr,
                                 const std::vector<int64_t>& axes,
                                 int64_t rank) {
  std::vector<int64_t> out;
  for (int64_t a : axes) {
    int64_t r = resolveAxis(ctx, attr, a, rank);
    if (std::find(out.begin(), out.end(), r) != out.end())
      ctx.failAttr(attr, "repeats axis " + std::to_string(r) + " in " +
                             intsStr(axes));
    out.push_back(r);
  }
  return out;
}

}  // namespace tapeflow::ops
