// ops/mean_squared_error.cpp - MeanSquaredError: loss = mean((pred - target)^2)
//   d pred = 2 (pred - target) / n * dloss,  d target = -d pred  (n = numel)
// All on oneDNN: forward is binary_sub with a square post-op, then
// reduction_mean to [1,...,1]; each gradient is one binary_sub with post-ops
// linear(2/n) and binary_mul by dloss (broadcast). Everything runs in pred's
// layout; target is brought to it.
#include <optional>

#include "ops/op_kit.h"

namespace tapeflow::ops {
namespace {

struct MeanSquaredErrorState {
  Relayout targetLayout;             ///< target -> pred's layout
  dnnl::binary squaredDiff;          ///< (pred - target)^2
  dnnl::reduction mean;              ///< -> [1,...,1]
  dnnl::memory squares;              ///< pred's layout
  dnnl::memory lossView;             ///< the scalar output seen as [1,...,1]
  std::optional<dnnl::binary> grad;  ///< (a - b) * 2/n * dloss
  dnnl::memory dlossView;            ///< the loss gradient seen as [1,...,1]
};

// The rank-R view of a one-element tensor that binary and reduction need.
dnnl::memory::desc onesDesc(const Dims& dims) {
  return plainDesc(Dims(dims.size(), 1));
}

void inferShapes(ShapeContext& ctx) {
  requireSameDims(ctx, 0, 1);
  ctx.setOutput(0, {});
}

void prepare(PrepareContext& ctx) {
  auto& st = ctx.makeState<MeanSquaredErrorState>();
  const Dims& dims = ctx.inputDims(0);
  const dnnl::memory::desc md = ctx.inputDesc(0);
  const dnnl::memory::desc ones = onesDesc(dims);
  st.targetLayout = Relayout(ctx, ctx.inputDesc(1), md);

  dnnl::post_ops squareOps;
  squareOps.append_eltwise(1.f, algorithm::eltwise_square, 0.f, 0.f);
  dnnl::primitive_attr squareAttr;
  squareAttr.set_post_ops(squareOps);
  dnnl::binary::primitive_desc subPd({algorithm::binary_sub, md, md, md},
                                     squareAttr, ctx.engine());
  st.squaredDiff = dnnl::binary(subPd);
  st.squares = ctx.scratch(subPd.dst_desc());
  dnnl::reduction::primitive_desc meanPd(
      {algorithm::reduction_mean, subPd.dst_desc(), ones, 0.f, 0.f},
      ctx.engine());
  st.mean = dnnl::reduction(meanPd);
  st.lossView = dnnl::memory(ones, ctx.engine(), DNNL_MEMORY_NONE);

  if (!ctx.needsGrad(0) && !ctx.needsGrad(1)) return;
  dnnl::post_ops gradOps;
  gradOps.append_eltwise(1.f, algorithm::eltwise_linear,
                         2.f / float(numel(dims)), 0.f);
  gradOps.append_binary(algorithm::binary_mul, ones);
  dnnl::primitive_attr gradAttr;
  gradAttr.set_post_ops(gradOps);
  dnnl::binary::primitive_desc gradPd({algorithm::binary_sub, md, md, md},
                                      gradAttr, ctx.engine());
  st.grad = dnnl::binary(gradPd);
  st.dlossView = dnnl::memory(ones, ctx.engine(), DNNL_MEMORY_NONE);
  // d target is computed in pred's layout; the engine reorders it if needed.
  if (ctx.needsGrad(1)) ctx.setGradInputDesc(1, md);
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<MeanSquaredErrorState>();
  dnnl::stream& s = ctx.stream();
  dnnl::memory target = st.targetLayout(s, ctx.input(1));
  st.squaredDiff.execute(s, {{DNNL_ARG_SRC_0, ctx.input(0)},
                             {DNNL_ARG_SRC_1, target},
                             {DNNL_ARG_DST, st.squares}});
  st.lossView.set_data_handle(ctx.output(0).get_data_handle());
  st.mean.execute(s, {{DNNL_ARG_SRC, st.squares}, {DNNL_ARG_DST, st.lossView}});
}

void backward(GradContext& ctx) {
  auto& st = ctx.state<MeanSquaredErrorState>();
  dnnl::stream& s = ctx.stream();
  // The converted target from forward (or target itself).
  dnnl::memory target = st.targetLayout.target(ctx.input(1));
  st.dlossView.set_data_handle(ctx.gradOutput(0).get_data_handle());
  const int dlossArg = DNNL_ARG_ATTR_MULTIPLE_POST_OP(1) | DNNL_ARG_SRC_1;
  if (ctx.needsGrad(0))
    st.grad->execute(s, {{DNNL_ARG_SRC_0, ctx.input(0)},
                         {DNNL_ARG_SRC_1, target},
                         {dlossArg, st.dlossView},
                         {DNNL_ARG_DST, ctx.gradInput(0)}});
  if (ctx.needsGrad(1))
    st.grad->execute(s, {{DNNL_ARG_SRC_0, target},
                         {DNNL_ARG_SRC_1, ctx.input(0)},
                         {dlossArg, st.dlossView},
                         {DNNL_ARG_DST, ctx.gradInput(1)}});
}

}  // namespace

const OpDef& meanSquaredErrorOp() {
  static const OpDef def = [] {
    OpDef d("MeanSquaredError");
    d.input("pred")
        .input("target")
        .output("loss")
        .doc("mean of the squared differences of pred and target")
        .shapes(inferShapes)
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
          b.label = "2x13";  // 13: not a multiple of 8
          b.inputs = {{2, 13}, {2, 13}};
          return std::vector<SampleCase>{a, b};
        });
    return d;
  }();
  return def;
}

}  // namespace tapeflow::ops
