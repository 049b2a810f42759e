// ops/reshape.cpp - Reshape: dst = src with dims `shape` (same data, plain
//   row-major order); 0 copies the input's dim, -1 is inferred (ONNX)
//   d src = d dst with src's dims
// NOTE: `shape` [0,-1] or [-1,784] keeps the batch dim dynamic: shapes are
// inferred per batch size, so the inferred dim follows the batch.
#include "ops/internal/reshape_common.h"

namespace tapeflow::ops {
namespace {

void inferShapes(ShapeContext& ctx) {
  const Dims& in = ctx.inputDims(0);
  const std::vector<int64_t>& shape = ctx.attrInts("shape");
  Dims out(shape.size());
  int inferAt = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    const int64_t v = shape[i];
    const std::string axis = std::to_string(i);
    if (v == -1) {
      if (inferAt >= 0)
        ctx.failAttr("shape", "has -1 at axes " + std::to_string(inferAt) +
                                  " and " + axis +
                                  "; at most one dim can be inferred");
      inferAt = int(i);
      out[i] = 1;
    } else if (v == 0) {
      if (i >= in.size())
        ctx.failAttr("shape", "0 at axis " + axis + " copies the input's dim, but " +
                                  ctx.describeInput(0) + " has rank " +
                                  std::to_string(in.size()));
      out[i] = in[i];
    } else if (v < 0) {
      ctx.failAttr("shape", "dim " + std::to_string(v) + " at axis " + axis +
                                " is invalid; expected a positive size, 0 "
                                "(copy the input's) or -1 (infer)");
    } else {
      out[i] = v;
    }
  }
  const int64_t n = numel(in);
  const int64_t known = checkedNumel(out);
  auto countStr = [](int64_t c) {
    return c < 0 ? std::string("more than 2^31-1") : std::to_string(c);
  };
  if (inferAt >= 0) {
    if (known < 0 || n % known != 0) {
      out[inferAt] = -1;
      ctx.fail("cannot reshape " + ctx.describeInput(0) + " (" +
               std::to_string(n) + " elements) to " + dimsStr(out) + ": " +
               std::to_string(n) + " is not a multiple of " + countStr(known) +
               " (the product of the other dims)");
    }
    out[inferAt] = n / known;
  } else if (known != n) {
    ctx.fail("cannot reshape " + ctx.describeInput(0) + " (" +
             std::to_string(n) + " elements) to " + dimsStr(out) + " (" +
             countStr(known) + " elements)");
  }
  ctx.setOutput(0, out);
}

std::vector<SampleCase> samples() {
  SampleCase keepBatch;
  keepBatch.label = "2x3x4x4_to_0x-1";
  keepBatch.attrs = {{"shape", AttrValue::ofInts({0, -1})}};
  keepBatch.inputs = {{2, 3, 4, 4}};
  SampleCase transposeLike;
  transposeLike.label = "3x13_to_13x3";  // 13: not a multiple of 8
  transposeLike.attrs = {{"shape", AttrValue::ofInts({13, 3})}};
  transposeLike.inputs = {{3, 13}};
  return {keepBatch, transposeLike};
}

}  // namespace

const OpDef& reshapeOp() {
  static const OpDef def = [] {
    OpDef d("Reshape");
    d.input("src").output("dst")
        .requiredAttr("shape", AttrKind::Ints,
                      "output dims; 0 copies the input's dim at that axis, "
                      "one -1 is inferred from the element count")
        .shapes(inferShapes)
        .samples(samples)
        .doc("same data under new dims (ONNX Reshape: 0 copies, -1 infers)");
    return withReshapePhases(d);
  }();
  return def;
}

}  // namespace tapeflow::ops
