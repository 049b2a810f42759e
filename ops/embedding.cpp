// ops/embedding.cpp - Embedding (PyTorch nn.Embedding): a table [V, D] and
//   i32 indices of any shape; dst [..., D], dst[k, :] = weights[indices[k], :]
//   d weights[v, :] = sum over k with indices[k] = v of d dst[k, :]
// An index outside [0, V) is a run-time error naming the node, the index
// and the table size.
// NOTE: no oneDNN primitive gathers; the row loops are in
// ops/internal/gather_common.cpp.
#include "ops/internal/gather_common.h"

namespace tapeflow::ops {
namespace {

void inferShapes(ShapeContext& ctx) {
  requireRank(ctx, 0, 2);
  Dims out = ctx.inputDims(1);
  out.push_back(ctx.inputDims(0)[1]);
  if (int64_t(out.size()) > kMaxRank)
    ctx.fail("output rank " + std::to_string(out.size()) + " exceeds " +
             std::to_string(kMaxRank));
  ctx.setOutput(0, out);
}

void prepare(PrepareContext& ctx) {
  GatherGeometry g;
  g.axisDim = ctx.inputDims(0)[0];
  g.inner = ctx.inputDims(0)[1];
  g.count = numel(ctx.inputDims(1));
  g.what = "the table 'weights'";
  prepareGather(ctx, g, 0);
}

}  // namespace

const OpDef& embeddingOp() {
  static const OpDef def = [] {
    OpDef d("Embedding");
    d.input("weights").constInput("indices", DType::I32).output("dst");
    d.doc("rows of a [V, D] table picked by i32 indices: [..., D]");
    d.shapes(inferShapes)
        .prepare(prepare)
        .forward(forwardGather)
        .backward(backwardGather)
        .flops([](const ShapeContext&) { return int64_t{0}; });
    d.samples([] {
      SampleCase a;
      a.label = "table7x4_idx2x3";
      a.inputs = {{7, 4}, {2, 3}};
      a.dtypes = {DType::F32, DType::I32};
      a.intRange = 7;
      SampleCase b;
      b.label = "table5x13_idx9";  // 13: not a multiple of 8; repeats
      b.inputs = {{5, 13}, {9}};
      b.dtypes = {DType::F32, DType::I32};
      b.intRange = 5;
      return std::vector<SampleCase>{a, b};
    });
    return d;
  }();
  return def;
}

}  // namespace tapeflow::ops
