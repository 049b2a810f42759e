// ops/internal/shape_helpers.cpp - checks shared by shape functions (window
// sizes through ops/internal/window.h).
#include "ops/internal/window.h"
#include "ops/op_kit.h"

namespace tapeflow::ops {

void requireRank(const ShapeContext& ctx, int input, int rank) {
  if (ctx.inputRank(input) != rank)
    ctx.fail(ctx.describeInput(input) + " must have rank " +
             std::to_string(rank) + ", found rank " +
             std::to_string(ctx.inputRank(input)));
}

void requireSameDims(const ShapeContext& ctx, int a, int b) {
  if (ctx.inputDims(a) != ctx.inputDims(b))
    ctx.fail(ctx.describeInput(a) + " and " + ctx.describeInput(b) +
             " must have the same shape");
}

void inferLogitsLabelsShapes(ShapeContext& ctx) {
  requireRank(ctx, 0, 2);
  requireRank(ctx, 1, 1);
  const Dims& logits = ctx.inputDims(0);
  if (ctx.inputDims(1)[0] != logits[0])
    ctx.fail("input 'labels' has " + std::to_string(ctx.inputDims(1)[0]) +
             " entries, expected " + std::to_string(logits[0]) +
             " (one per row of logits " + dimsStr(logits) + ")");
  ctx.setOutput(0, {});
}

int64_t windowOut(const ShapeContext& ctx, int64_t in, int64_t kernel,
                  int64_t stride, int64_t padBegin, int64_t padEnd,
                  int64_t dilation, const char* axis) {
  int64_t out =
      windowOutSize(in, kernel, stride, dilation, AxisPads{padBegin, padEnd});
  if (out < 1)
    ctx.fail(std::string("window of ") +
             std::to_string(windowSpan(kernel, dilation)) + " along " + axis +
             " is larger than the padded input (" +
             std::to_string(in + padBegin + padEnd) + ")");
  return out;
}

}  // namespace tapeflow::ops
