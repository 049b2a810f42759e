// ops/gather.cpp - Gather (ONNX): dst = data indexed along `axis` by i32
//   indices of any shape; dst dims = data[:axis] + indices + data[axis+1:]
//   dst[a, k, b] = data[a, indices[k], b] (negative indices count from the
//   end); d data[a, j, b] = sum over k with indices[k] = j of d dst[a, k, b]
// NOTE: no oneDNN primitive gathers; the row loops are in
// ops/internal/gather_common.cpp.
#include "ops/internal/axes.h"
#include "ops/internal/gather_common.h"

namespace tapeflow::ops {
namespace {

GatherGeometry geometryOf(const NodeView& ctx) {
  const Dims& d = ctx.inputDims(0);
  const int64_t axis =
      resolveAxis(ctx, "axis", ctx.attrInt("axis"), ctx.inputRank(0));
  GatherGeometry g;
  for (int64_t k = 0; k < int64_t(d.size()); ++k)
    (k < axis ? g.outer : k > axis ? g.inner : g.axisDim) *= d[size_t(k)];
  g.count = numel(ctx.inputDims(1));
  g.negative = true;
  g.what = "axis";
  return g;
}

void inferShapes(ShapeContext& ctx) {
  const Dims& d = ctx.inputDims(0);
  if (d.empty()) ctx.fail(ctx.describeInput(0) + " must have rank >= 1");
  const int64_t axis =
      resolveAxis(ctx, "axis", ctx.attrInt("axis"), ctx.inputRank(0));
  const Dims& idx = ctx.inputDims(1);
  Dims out(d.begin(), d.begin() + axis);
  out.insert(out.end(), idx.begin(), idx.end());
  out.insert(out.end(), d.begin() + axis + 1, d.end());
  if (int64_t(out.size()) > kMaxRank)
    ctx.fail("output rank " + std::to_string(out.size()) + " exceeds " +
             std::to_string(kMaxRank));
  ctx.setOutput(0, out);
}

}  // namespace

const OpDef& gatherOp() {
  static const OpDef def = [] {
    OpDef d("Gather");
    d.input("data").constInput("indices", DType::I32).output("dst");
    d.attr("axis", AttrValue::ofInt(0),
           "axis of data the indices select along; negative counts from end");
    d.doc("picks slices of data along an axis by i32 indices (ONNX Gather)");
    d.shapes(inferShapes)
        .prepare([](PrepareContext& ctx) {
          prepareGather(ctx, geometryOf(ctx), 0);
        })
        .forward(forwardGather)
        .backward(backwardGather)
        .flops([](const ShapeContext&) { return int64_t{0}; });
    d.samples([] {
      SampleCase a;
      a.label = "2x5x3_axis1_idx2x3";
      a.attrs = {{"axis", AttrValue::ofInt(1)}};
      a.inputs = {{2, 5, 3}, {2, 3}};
      a.dtypes = {DType::F32, DType::I32};
      a.intRange = 5;  // repeats: the gradient adds them up
      SampleCase b;
      b.label = "6x13_axis0_idx4";  // 13: not a multiple of 8
      b.inputs = {{6, 13}, {4}};
      b.dtypes = {DType::F32, DType::I32};
      b.intRange = 6;
      return std::vector<SampleCase>{a, b};
    });
    return d;
  }();
  return def;
}

}  // namespace tapeflow::ops
