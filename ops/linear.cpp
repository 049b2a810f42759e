// ops/linear.cpp - Linear: dst[n,o] = sum_k src[n,k] * weights[o,k] + bias[o]
//   d src = d dst . weights;  d weights = d dst^T . src;  d bias = sum_n d dst
// A rank-4 src [N,C,H,W] is read as [N, C*H*W] against weights [O, C*H*W]
// (a 4-D view [O,C,H,W] of the same plain memory), so pooling output needs no
// Flatten. Relu/Tanh/ScaledTanh consumers fold in as post-ops.
// NOTE: weights stay plain in every pd. With `any`, oneDNN 2.6 picks blocked
// brgemm weights here, and the three weight reorders per step made the
// 64x3200->500 step 2.4x slower than x64:gemm:jit on the plain weights.
#include "ops/op_kit.h"

namespace tapeflow::ops {
namespace {

using FwdPd = dnnl::inner_product_forward::primitive_desc;
using DataPd = dnnl::inner_product_backward_data::primitive_desc;
using WeightsPd = dnnl::inner_product_backward_weights::primitive_desc;

struct LinearState {
  dnnl::inner_product_forward fwd;
  std::optional<dnnl::inner_product_backward_data> bwdData;
  std::optional<dnnl::inner_product_backward_weights> bwdWeights;
  Relayout srcFwd;          // producer's layout -> forward src
  Relayout weightsFwd;      // plain weights -> forward weights
  Relayout weightsData;     // plain weights -> backward-data weights
  Relayout diffDstData;     // dst layout -> backward-data diff_dst
  Relayout srcWeights;      // forward src -> backward-weights src
  Relayout diffDstWeights;  // dst layout -> backward-weights diff_dst
  Relayout diffWeights;     // backward-weights diff_weights -> plain
  dnnl::memory weightsView;      // 4-D views of the [O,K] buffers (rank-4
  dnnl::memory diffWeightsView;  // src only; empty otherwise)
  dnnl::memory diffWeightsSink;  // diff_weights when only bias needs a grad
  bool hasBias = false;
  bool biasGrad = false;
};

std::string str(int64_t v) { return std::to_string(v); }

void inferShapes(ShapeContext& ctx) {
  const Dims& src = ctx.inputDims(0);
  if (ctx.inputRank(0) != 2 && ctx.inputRank(0) != 4)
    ctx.fail(ctx.describeInput(0) + " must have rank 2 or 4, found rank " +
             str(ctx.inputRank(0)));
  requireRank(ctx, 1, 2);
  const Dims& w = ctx.inputDims(1);
  int64_t features = numel(Dims(src.begin() + 1, src.end()));
  if (w[1] != features)
    ctx.fail("input 'weights' has " + str(w[1]) + " input features, expected " +
             str(features) + " (src " + dimsStr(src) +
             (src.size() == 4 ? " flattens to " : " has ") + str(features) +
             (src.size() == 4 ? ")" : " features)"));
  if (ctx.numInputs() > 2) {
    requireRank(ctx, 2, 1);
    if (ctx.inputDims(2)[0] != w[0])
      ctx.fail("input 'bias' has " + str(ctx.inputDims(2)[0]) +
               " elements, expected " + str(w[0]) + " (weights " + dimsStr(w) +
               " has " + str(w[0]) + " output features)");
  }
  ctx.setOutput(0, {src[0], w[0]});
}

// Plain weights as the primitives see them: [O,K], or [O,C,H,W] for a
// rank-4 src (same bytes).
dnnl::memory::desc weightsDesc(const PrepareContext& ctx) {
  const Dims& src = ctx.inputDims(0);
  Dims w{ctx.inputDims(1)[0]};
  w.insert(w.end(), src.begin() + 1, src.end());
  return plainDesc(w);
}

FwdPd forwardPd(PrepareContext& ctx, const dnnl::memory::desc& srcMd,
                const dnnl::memory::desc& wMd, bool allowEmpty) {
  dnnl::primitive_attr attr;
  if (ctx.hasPostOps()) attr.set_post_ops(ctx.postOps());
  auto dstMd = anyDesc(ctx.outputDims(0));
  if (ctx.numInputs() > 2)
    return FwdPd({forwardKind(ctx), srcMd, wMd, ctx.inputDesc(2), dstMd}, attr,
                 ctx.engine(), allowEmpty);
  return FwdPd({forwardKind(ctx), srcMd, wMd, dstMd}, attr, ctx.engine(),
               allowEmpty);
}

dnnl::memory viewOf(dnnl::memory& view, const dnnl::memory& m) {
  if (!view) return m;
  view.set_data_handle(m.get_data_handle());
  return view;
}

void prepare(PrepareContext& ctx) {
  auto& st = ctx.makeState<LinearState>();
  st.hasBias = ctx.numInputs() > 2;
  const dnnl::memory::desc wMd = weightsDesc(ctx);
  if (ctx.inputRank(0) == 4) {
    st.weightsView = dnnl::memory(wMd, ctx.engine(), DNNL_MEMORY_NONE);
    st.diffWeightsView = dnnl::memory(wMd, ctx.engine(), DNNL_MEMORY_NONE);
  }
  // Take the producer's layout when the gemm kernel reads it directly
  // (plain); a blocked src (nChw8c) against plain weights only has ref:any,
  // so let the pd choose and reorder the activations instead.
  FwdPd fwdPd = forwardPd(ctx, ctx.inputDesc(0), wMd, true);
  if (!fwdPd || implName(fwdPd).rfind("ref", 0) == 0)
    fwdPd = forwardPd(ctx, anyDesc(ctx.inputDims(0)), wMd, false);
  const dnnl::memory::desc srcMd = fwdPd.src_desc();
  st.srcFwd = Relayout(ctx, ctx.inputDesc(0), srcMd);
  ctx.noteImpl("fwd", implName(fwdPd));
  st.weightsFwd = Relayout(ctx, wMd, fwdPd.weights_desc());
  ctx.setOutputDesc(0, fwdPd.dst_desc());
  st.fwd = dnnl::inner_product_forward(fwdPd);
  if (!ctx.runsBackward()) return;
  const dnnl::memory::desc dstMd = ctx.outputDesc(0);
  if (ctx.needsGrad(0)) {
    DataPd pd({srcMd, wMd, dstMd}, ctx.engine(), fwdPd);
    ctx.noteImpl("bwd_data", implName(pd));
    st.weightsData = Relayout(ctx, wMd, pd.weights_desc());
    st.diffDstData = Relayout(ctx, dstMd, pd.diff_dst_desc());
    if (pd.diff_src_desc() != ctx.inputDesc(0))
      ctx.setGradInputDesc(0, pd.diff_src_desc());
    st.bwdData = dnnl::inner_product_backward_data(pd);
  }
  st.biasGrad = st.hasBias && ctx.needsGrad(2);
  if (ctx.needsGrad(1) || st.biasGrad) {
    WeightsPd pd = st.biasGrad
        ? WeightsPd({srcMd, wMd, ctx.inputDesc(2), dstMd}, ctx.engine(), fwdPd)
        : WeightsPd({srcMd, wMd, dstMd}, ctx.engine(), fwdPd);
    ctx.noteImpl("bwd_weights", implName(pd));
    st.srcWeights = Relayout(ctx, srcMd, pd.src_desc());
    st.diffDstWeights = Relayout(ctx, dstMd, pd.diff_dst_desc());
    if (ctx.needsGrad(1))
      st.diffWeights = Relayout(ctx, pd.diff_weights_desc(), wMd, Relayout::Out);
    else
      st.diffWeightsSink = ctx.scratch(pd.diff_weights_desc());
    if (st.biasGrad && pd.diff_bias_desc() != ctx.inputDesc(2))
      ctx.setGradInputDesc(2, pd.diff_bias_desc());
    st.bwdWeights = dnnl::inner_product_backward_weights(pd);
  }
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<LinearState>();
  dnnl::stream& s = ctx.stream();
  std::unordered_map<int, dnnl::memory> args{
      {DNNL_ARG_SRC, st.srcFwd(s, ctx.input(0))},
      {DNNL_ARG_WEIGHTS, st.weightsFwd(s, viewOf(st.weightsView, ctx.input(1)))},
      {DNNL_ARG_DST, ctx.output(0)}};
  if (st.hasBias) args[DNNL_ARG_BIAS] = ctx.input(2);
  st.fwd.execute(s, args);
}

void backward(GradContext& ctx) {
  auto& st = ctx.state<LinearState>();
  dnnl::stream& s = ctx.stream();
  if (st.bwdData && ctx.needsGrad(0)) {
    dnnl::memory w = viewOf(st.weightsView, ctx.input(1));
    st.bwdData->execute(
        s, {{DNNL_ARG_DIFF_DST, st.diffDstData(s, ctx.gradOutput(0))},
            {DNNL_ARG_WEIGHTS, st.weightsData(s, w)},
            {DNNL_ARG_DIFF_SRC, ctx.gradInput(0)}});
  }
  if (!st.bwdWeights) return;
  dnnl::memory dw = st.diffWeightsSink
                        ? st.diffWeightsSink
                        : viewOf(st.diffWeightsView, ctx.gradInput(1));
  // The forward's src (converted when the forward needed another layout).
  dnnl::memory src = st.srcFwd.target(ctx.input(0));
  std::unordered_map<int, dnnl::memory> args{
      {DNNL_ARG_SRC, st.srcWeights(s, src)},
      {DNNL_ARG_DIFF_DST, st.diffDstWeights(s, ctx.gradOutput(0))},
      {DNNL_ARG_DIFF_WEIGHTS, st.diffWeights.target(dw)}};
  if (st.biasGrad) args[DNNL_ARG_DIFF_BIAS] = ctx.gradInput(2);
  st.bwdWeights->execute(s, args);
  if (!st.diffWeightsSink) st.diffWeights.finish(s, dw);
}

}  // namespace

const OpDef& linearOp() {
  static const OpDef def = [] {
    OpDef d("Linear");
    d.input("src").input("weights").optionalInput("bias").output("dst")
        .doc("fully connected layer, src [N,K] (or [N,C,H,W]) times "
             "weights [O,K]^T plus bias [O]")
        .shapes(inferShapes).prepare(prepare).forward(forward)
        .backward(backward).acceptsPostOps();
    d.backwardReads({"src", "weights"});  // not dst: no post-op's backward runs here
    d.flops([](const ShapeContext& ctx) {
      const Dims& out = ctx.outputDims(0);
      int64_t n = out[0] * out[1];
      return 2 * n * ctx.inputDims(1)[1] + (ctx.numInputs() > 2 ? n : 0);
    });
    d.samples([] {
      SampleCase a;
      a.label = "2x13_7_bias";  // 13 features: not a multiple of 8
      a.inputs = {{2, 13}, {7, 13}, {7}};
      SampleCase b;
      b.label = "3x2x3x3_5";  // rank-4 src, no bias
      b.inputs = {{3, 2, 3, 3}, {5, 18}};
      return std::vector<SampleCase>{a, b};
    });
    return d;
  }();
  return def;
}

}  // namespace tapeflow::ops
