// ops/internal/reshape_common.cpp - forward: relayout src to plain, copy to
// dst; backward: copy d dst to d src (plain; the engine relayouts it).
// NOTE: the copies are memcpy: both sides are plain row-major with the same
// element count, so the bytes are identical and a reorder would be a copy.
#include "ops/internal/reshape_common.h"

#include <cstring>

namespace tapeflow::ops {
namespace {

struct ReshapeState {
  Relayout toPlain;
  size_t bytes = 0;
};

void prepare(PrepareContext& ctx) {
  auto& st = ctx.makeState<ReshapeState>();
  const dnnl::memory::desc plain = plainDesc(ctx.inputDims(0));
  st.toPlain = Relayout(ctx, ctx.inputDesc(0), plain);
  st.bytes = plain.get_size();
  if (ctx.needsGrad(0) && ctx.inputDesc(0) != plain)
    ctx.setGradInputDesc(0, plain);
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<ReshapeState>();
  dnnl::memory src = st.toPlain(ctx.stream(), ctx.input(0));
  std::memcpy(ctx.output(0).get_data_handle(), src.get_data_handle(), st.bytes);
}

void backward(GradContext& ctx) {
  auto& st = ctx.state<ReshapeState>();
  if (!ctx.needsGrad(0)) return;
  std::memcpy(ctx.gradInput(0).get_data_handle(),
              ctx.gradOutput(0).get_data_handle(), st.bytes);
}

}  // namespace

OpDef& withReshapePhases(OpDef& def) {
  return def.prepare(prepare).forward(forward).backward(backward).backwardReads({}).flops(
      [](const ShapeContext&) { return int64_t{0}; });
}

}  // namespace tapeflow::ops
