// ops/flatten.cpp - Flatten: dst = src with dims
//   [d0, .., d(axis-1), d(axis) * .. * d(r-1)]   (same data, plain order)
//   d src = d dst with src's dims
// NOTE: the dims before `axis` are kept as they are (torch.flatten with
// start_dim = axis); ONNX Flatten would also merge them. The default axis 1
// gives [N, C*H*W] either way.
#include "ops/internal/reshape_common.h"

namespace tapeflow::ops {
namespace {

void inferShapes(ShapeContext& ctx) {
  const Dims& in = ctx.inputDims(0);
  const int64_t rank = ctx.inputRank(0);
  int64_t axis = ctx.attrInt("axis");
  if (axis < -rank || axis > rank)
    ctx.failAttr("axis", "must be in [" + std::to_string(-rank) + ", " +
                             std::to_string(rank) + "] for " +
                             ctx.describeInput(0) + ", found " +
                             std::to_string(axis));
  if (axis < 0) axis += rank;
  Dims out(in.begin(), in.begin() + axis);
  out.push_back(numel(Dims(in.begin() + axis, in.end())));
  ctx.setOutput(0, out);
}

std::vector<SampleCase> samples() {
  SampleCase image;
  image.label = "2x3x4x4_axis1";
  image.inputs = {{2, 3, 4, 4}};
  SampleCase inner;
  inner.label = "3x13x2x2_axis2";  // 13: not a multiple of 8
  inner.attrs = {{"axis", AttrValue::ofInt(2)}};
  inner.inputs = {{3, 13, 2, 2}};
  return {image, inner};
}

}  // namespace

const OpDef& flattenOp() {
  static const OpDef def = [] {
    OpDef d("Flatten");
    d.input("src").output("dst")
        .attr("axis", AttrValue::ofInt(1),
              "first axis merged into the last dim; negative counts from "
              "the end")
        .shapes(inferShapes)
        .samples(samples)
        .doc("merges the dims from `axis` on into one: [d0..d(axis-1), "
             "product of the rest]");
    return withReshapePhases(d);
  }();
  return def;
}

}  // namespace tapeflow::ops
