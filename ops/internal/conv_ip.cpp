// ops/internal/conv_ip.cpp - Conv2D as oneDNN inner products when its
// window covers its whole input (see conv_state.h).
#include <unordered_map>

#include "ops/internal/conv_state.h"

namespace tapeflow::ops {

using md = dnnl::memory::desc;
using ip_fwd = dnnl::inner_product_forward;
using ip_bwd_data = dnnl::inner_product_backward_data;
using ip_bwd_weights = dnnl::inner_product_backward_weights;

bool prepareInnerProduct(PrepareContext& ctx, const md& userWeightsMd,
                         Conv2DState& st) {
  const Dims& wDims = ctx.inputDims(1);
  // Candidates: the producer's src with oneDNN's weights (which follow the
  // src's element order: blocked or nhwc weights for such a src), oneDNN's
  // src (plain) with the plain parameter, and oneDNN's choice for both.
  // The one with jit kernels everywhere and the fewest elements reordered
  // per step wins: with plain src and weights nothing but the src moves
  // (a 16x5x5 blocked src needed 48,000 weights reordered three times per
  // step against 400 floats per sample).
  const md& srcMd = ctx.inputDesc(0);
  const md anySrc = anyDesc(ctx.inputDims(0)), anyW = anyDesc(wDims);
  const int64_t srcCount = numel(ctx.inputDims(0)), wCount = numel(wDims);
  auto reordered = [&](const IpPds& p) {
    const md& fwdW = p.fwd.weights_desc();
    int64_t n = 0;
    if (p.fwd.src_desc() != srcMd) n += srcCount;
    if (fwdW != userWeightsMd) n += wCount;
    if (p.data) {
      if (p.data->weights_desc() != userWeightsMd &&
          p.data->weights_desc() != fwdW)
        n += wCount;
      if (p.data->diff_src_desc() != srcMd) n += srcCount;
    }
    if (p.weights) {
      if (p.weights->src_desc() != p.fwd.src_desc()) n += srcCount;
      if (st.weightsGrad && p.weights->diff_weights_desc() != userWeightsMd)
        n += wCount;
    }
    return n;
  };
  std::optional<IpPds> pds;
  int64_t best = 0;
  for (const auto& [src, w] : {std::pair<md, md>{srcMd, anyW},
                               {anySrc, userWeightsMd},
                               {anySrc, anyW}}) {
    std::optional<IpPds> p = makeIpPds(ctx, src, w, st.biasGrad);
    if (!p || p->anyRef()) continue;
    int64_t n = reordered(*p);
    if (!pds || n < best) {
      pds = std::move(p);
      best = n;
    }
  }
  if (!pds) return false;  // no jit kernel for some direction: convolution
  const ip_fwd::primitive_desc& fwdPd = pds->fwd;
  IpPath& ip = st.ip.emplace();
  ctx.noteImpl("fwd", "ip:" + implName(fwdPd));
  ip.fwd = ip_fwd(fwdPd);
  // dst [N,O] plain is byte for byte the plain [N,O,1,1].
  ctx.setOutputDesc(0, plainDesc(ctx.outputDims(0)));
  const md dst2d = fwdPd.dst_desc();
  ip.dst = dnnl::memory(dst2d, ctx.engine(), DNNL_MEMORY_NONE);
  ip.diffDst = dnnl::memory(dst2d, ctx.engine(), DNNL_MEMORY_NONE);
  st.srcToFwd = Relayout(ctx, ctx.inputDesc(0), fwdPd.src_desc());
  st.weightsToFwd = Relayout(ctx, userWeightsMd, fwdPd.weights_desc());
  if (pds->data) {
    const auto& pd = *pds->data;
    ctx.noteImpl("bwd_data", "ip:" + implName(pd));
    ip.bwdData = ip_bwd_data(pd);
    st.weightsForData.init(ctx, userWeightsMd, fwdPd.weights_desc(),
                           pd.weights_desc());
    st.diffSrcOut =
        Relayout(ctx, pd.diff_src_desc(), ctx.inputDesc(0), Relayout::Out);
  }
  if (!pds->weights) return true;
  const auto& pd = *pds->weights;
  ctx.noteImpl("bwd_weights", "ip:" + implName(pd));
  ip.bwdWeights = ip_bwd_weights(pd);
  st.srcForWeights.init(ctx, ctx.inputDesc(0), fwdPd.src_desc(), pd.src_desc());
  if (st.weightsGrad) {
    st.diffWeightsOut =
        Relayout(ctx, pd.diff_weights_desc(), userWeightsMd, Relayout::Out);
    st.diffWeights =
        dnnl::memory(userWeightsMd, ctx.engine(), DNNL_MEMORY_NONE);
  } else {  // only the bias gradient is needed, but both are written
    st.diffWeights = ctx.scratch(pd.diff_weights_desc());
  }
  return true;
}

void runBackwardData(GradContext& ctx, Conv2DState& st, const dnnl::primitive& p,
                     const dnnl::memory& diffDst) {
  dnnl::stream& s = ctx.stream();
  p.execute(s, {{DNNL_ARG_DIFF_DST, diffDst},
                {DNNL_ARG_WEIGHTS, st.weightsForData(s, st.weightsView, st.fwdWeights)},
                {DNNL_ARG_DIFF_SRC, st.diffSrcOut.target(ctx.gradInput(0))}});
  st.diffSrcOut.finish(s, ctx.gradInput(0));
}

void runBackwardWeights(GradContext& ctx, Conv2DState& st, const dnnl::primitive& p,
                        const dnnl::memory& diffDst) {
  dnnl::stream& s = ctx.stream();
  if (st.weightsGrad)
    st.diffWeights.set_data_handle(ctx.gradInput(1).get_data_handle());
  std::unordered_map<int, dnnl::memory> args = {
      {DNNL_ARG_SRC, st.srcForWeights(s, ctx.input(0), st.fwdSrc)},
      {DNNL_ARG_DIFF_DST, diffDst},
      {DNNL_ARG_DIFF_WEIGHTS, st.diffWeightsOut.target(st.diffWeights)}};
  if (st.biasGrad) args[DNNL_ARG_DIFF_BIAS] = ctx.gradInput(2);
  p.execute(s, args);
  st.diffWeightsOut.finish(s, st.diffWeights);
}

void backwardInnerProduct(GradContext& ctx, Conv2DState& st) {
  IpPath& ip = *st.ip;
  ip.diffDst.set_data_handle(ctx.gradOutput(0).get_data_handle());
  if (ip.bwdData) runBackwardData(ctx, st, *ip.bwdData, ip.diffDst);
  if (ip.bwdWeights) runBackwardWeights(ctx, st, *ip.bwdWeights, ip.diffDst);
}

}  // namespace tapeflow::ops
