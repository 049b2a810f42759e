// ops/unsqueeze.cpp - Unsqueeze: dst = src with size-1 dims inserted at
//   `axes` (ONNX: axes index the output, negative counts from its end)
//   d src = d dst with src's dims
#include <algorithm>

#include "ops/internal/axes.h"
#include "ops/internal/reshape_common.h"

namespace tapeflow::ops {
namespace {

void inferShapes(ShapeContext& ctx) {
  const Dims& in = ctx.inputDims(0);
  const auto& given = ctx.attrInts("axes");
  const int64_t rank = ctx.inputRank(0) + int64_t(given.size());
  if (given.empty()) ctx.failAttr("axes", "must name at least one axis");
  if (rank > kMaxRank)
    ctx.failAttr("axes", "would make rank " + std::to_string(rank) +
                             ", the limit is " + std::to_string(kMaxRank));
  std::vector<int64_t> axes = resolveAxes(ctx, "axes", given, rank);
  Dims out;
  size_t next = 0;
  for (int64_t a = 0; a < rank; ++a)
    if (std::find(axes.begin(), axes.end(), a) != axes.end())
      out.push_back(1);
    else
      out.push_back(in[next++]);
  ctx.setOutput(0, out);
}

}  // namespace

const OpDef& unsqueezeOp() {
  static const OpDef def = [] {
    OpDef d("Unsqueeze");
    d.input("src").output("dst")
        .requiredAttr("axes", AttrKind::Ints,
                      "positions of the new size-1 dims in the output")
        .shapes(inferShapes)
        .doc("inserts size-1 dims (ONNX Unsqueeze), same data")
        .samples([] {
          SampleCase a;
          a.label = "2x3_axes0,-1";
          a.attrs = {{"axes", AttrValue::ofInts({0, -1})}};
          a.inputs = {{2, 3}};
          SampleCase b;
          b.label = "3x13_axis1";  // 13: not a multiple of 8
          b.attrs = {{"axes", AttrValue::ofInts({1})}};
          b.inputs = {{3, 13}};
          return std::vector<SampleCase>{a, b};
        });
    return withReshapePhases(d);
  }();
  return def;
}

}  // namespace tapeflow::ops
