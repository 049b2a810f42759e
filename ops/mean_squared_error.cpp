// ops/mean_squared_error.cpp - MeanSquaredError: loss = mean((pred - target)^2)
//   (or the sum, with reduction "sum"; then n = 1 below); f32 target
//   d pred = 2 (pred - target) / n * dloss,  d target = -d pred  (n = numel)
// All on oneDNN, in plain layout: diff = pred - target (kept for backward),
// squares = diff * diff, loss = reduction_mean (or _sum) of squares to
// [1,...,1]; each
// gradient is diff * coefficient, a one-element broadcast.
// NOTE: no eltwise post-ops on the binaries: oneDNN 2.6.3's jit:uni binary
// with an eltwise post-op gave wrong values and corrupted the heap on nChw8c
// (AVX-512 machine). Plain layout also keeps the reduction and the broadcast
// product on jit kernels (both ref:any on blocked layouts); a blocked pred is
// reordered once, and the engine reorders the plain gradients back.
// NOTE: the coefficients +-2/n * dloss are written from the host in backward:
// one float each, read from the loss gradient.
#include <optional>

#include "ops/internal/loss_common.h"

namespace tapeflow::ops {
namespace {

struct MeanSquaredErrorState {
  Relayout predPlain, targetPlain;
  dnnl::binary sub;                   ///< diff = pred - target
  dnnl::binary square;                ///< squares = diff * diff
  dnnl::reduction mean;               ///< -> [1,...,1]
  dnnl::memory diff;                  ///< plain, kept for backward
  dnnl::memory squares;               ///< plain
  dnnl::memory lossView;              ///< the scalar output seen as [1,...,1]
  std::optional<dnnl::binary> scale;  ///< diff * coefficient
  dnnl::memory predCoef, targetCoef;  ///< [1,...,1]: +-2/n * dloss
  float twoOverN = 0.f;
};

void inferShapes(ShapeContext& ctx) {
  requireSameDims(ctx, 0, 1);
  ctx.setOutput(0, {});
}

void prepare(PrepareContext& ctx) {
  auto& st = ctx.makeState<MeanSquaredErrorState>();
  const Dims& dims = ctx.inputDims(0);
  const dnnl::memory::desc plain = plainDesc(dims);
  // The rank-R one-element view that binary and reduction need.
  const dnnl::memory::desc ones = plainDesc(Dims(dims.size(), 1));
  st.predPlain = Relayout(ctx, ctx.inputDesc(0), plain);
  st.targetPlain = Relayout(ctx, ctx.inputDesc(1), plain);
  const bool mean = ctx.attrString("reduction") == "mean";
  st.twoOverN = mean ? 2.f / float(numel(dims)) : 2.f;

  dnnl::binary::primitive_desc subPd(
      {algorithm::binary_sub, plain, plain, plain}, ctx.engine());
  dnnl::binary::primitive_desc squarePd(
      {algorithm::binary_mul, plain, plain, plain}, ctx.engine());
  dnnl::reduction::primitive_desc meanPd(
      {mean ? algorithm::reduction_mean : algorithm::reduction_sum, plain,
       ones, 0.f, 0.f},
      ctx.engine());
  st.sub = dnnl::binary(subPd);
  st.square = dnnl::binary(squarePd);
  st.mean = dnnl::reduction(meanPd);
  ctx.noteImpl("sub", subPd.impl_info_str());
  ctx.noteImpl("square", squarePd.impl_info_str());
  ctx.noteImpl("mean", meanPd.impl_info_str());
  st.diff = ctx.scratch(plain);
  st.squares = ctx.scratch(plain);
  st.lossView = dnnl::memory(ones, ctx.engine(), DNNL_MEMORY_NONE);

  if (!ctx.needsGrad(0) && !ctx.needsGrad(1)) return;
  dnnl::binary::primitive_desc scalePd(
      {algorithm::binary_mul, plain, ones, plain}, ctx.engine());
  st.scale = dnnl::binary(scalePd);
  ctx.noteImpl("grad", scalePd.impl_info_str());
  // Gradients are written plain; the engine brings them to each layout.
  for (int i = 0; i < 2; ++i)
    if (ctx.needsGrad(i)) ctx.setGradInputDesc(i, plain);
  if (ctx.needsGrad(0)) st.predCoef = ctx.scratch(ones);
  if (ctx.needsGrad(1)) st.targetCoef = ctx.scratch(ones);
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<MeanSquaredErrorState>();
  dnnl::stream& s = ctx.stream();
  dnnl::memory pred = st.predPlain(s, ctx.input(0));
  dnnl::memory target = st.targetPlain(s, ctx.input(1));
  st.sub.execute(s, {{DNNL_ARG_SRC_0, pred},
                     {DNNL_ARG_SRC_1, target},
                     {DNNL_ARG_DST, st.diff}});
  st.square.execute(s, {{DNNL_ARG_SRC_0, st.diff},
                        {DNNL_ARG_SRC_1, st.diff},
                        {DNNL_ARG_DST, st.squares}});
  st.lossView.set_data_handle(ctx.output(0).get_data_handle());
  st.mean.execute(s, {{DNNL_ARG_SRC, st.squares}, {DNNL_ARG_DST, st.lossView}});
}

void backward(GradContext& ctx) {
  auto& st = ctx.state<MeanSquaredErrorState>();
  dnnl::stream& s = ctx.stream();
  const float k = st.twoOverN * *data(ctx.gradOutput(0));
  if (ctx.needsGrad(0)) {
    *data(st.predCoef) = k;
    st.scale->execute(s, {{DNNL_ARG_SRC_0, st.diff},
                          {DNNL_ARG_SRC_1, st.predCoef},
                          {DNNL_ARG_DST, ctx.gradInput(0)}});
  }
  if (ctx.needsGrad(1)) {
    *data(st.targetCoef) = -k;
    st.scale->execute(s, {{DNNL_ARG_SRC_0, st.diff},
                          {DNNL_ARG_SRC_1, st.targetCoef},
                          {DNNL_ARG_DST, ctx.gradInput(1)}});
  }
}

}  // namespace

const OpDef& meanSquaredErrorOp() {
  static const OpDef def = [] {
    OpDef d("MeanSquaredError");
    d.input("pred")
        .input("target")
        .output("loss")
        .doc("mean (or sum) of the squared differences of pred and f32 "
             "target");
    addReductionAttr(d);
    d.shapes(inferShapes)
        .prepare(prepare)
        .forward(forward)
        .backward(backward)
        .flops([](const ShapeContext& ctx) {
          return 3 * numel(ctx.inputDims(0));  // subtract, square, add
        })
        .samples([] {
          SampleCase a;
          a.label = "4x3";
          a.inputs = {{4, 3}, {4, 3}};
          SampleCase b;
          b.label = "2x13_sum";  // 13: not a multiple of 8
          b.inputs = {{2, 13}, {2, 13}};
          b.attrs = {{"reduction", AttrValue::ofString("sum")}};
          return std::vector<SampleCase>{a, b};
        });
    return d;
  }();
  return def;
}

}  // namespace tapeflow::ops
