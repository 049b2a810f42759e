// ops/squeeze.cpp - Squeeze: dst = src without the size-1 dims in `axes`
//   (ONNX; no axes: every size-1 dim), same data
//   d src = d dst with src's dims
// NOTE: with no axes, a batch of 1 would lose its batch dim too; graphs with
// a dynamic batch should name the axes.
#include <algorithm>

#include "ops/internal/axes.h"
#include "ops/internal/reshape_common.h"

namespace tapeflow::ops {
namespace {

void inferShapes(ShapeContext& ctx) {
  const Dims& in = ctx.inputDims(0);
  const int64_t rank = ctx.inputRank(0);
  std::vector<int64_t> axes;
  if (ctx.attrGiven("axes")) {
    axes = resolveAxes(ctx, "axes", ctx.attrInts("axes"), rank);
    for (int64_t a : axes)
      if (in[size_t(a)] != 1)
        ctx.failAttr("axes", "axis " + std::to_string(a) + " of " +
                                 ctx.describeInput(0) + " has size " +
                                 std::to_string(in[size_t(a)]) +
                                 "; only size-1 dims can be squeezed");
  } else {
    for (int64_t a = 0; a < rank; ++a)
      if (in[size_t(a)] == 1) axes.push_back(a);
  }
  Dims out;
  for (int64_t a = 0; a < rank; ++a)
    if (std::find(axes.begin(), axes.end(), a) == axes.end())
      out.push_back(in[size_t(a)]);
  ctx.setOutput(0, out);
}

}  // namespace

const OpDef& squeezeOp() {
  static const OpDef def = [] {
    OpDef d("Squeeze");
    d.input("src").output("dst")
        .attr("axes", AttrValue::ofInts({}),
              "size-1 dims to remove; default every size-1 dim")
        .shapes(inferShapes)
        .doc("removes size-1 dims (ONNX Squeeze), same data")
        .samples([] {
          SampleCase a;
          a.label = "2x1x3x1_axes1,-1";
          a.attrs = {{"axes", AttrValue::ofInts({1, -1})}};
          a.inputs = {{2, 1, 3, 1}};
          SampleCase b;
          b.label = "1x13x1_all";  // 13: not a multiple of 8
          b.inputs = {{1, 13, 1}};
          return std::vector<SampleCase>{a, b};
        });
    return withReshapePhases(d);
  }();
  return def;
}

}  // namespace tapeflow::ops
