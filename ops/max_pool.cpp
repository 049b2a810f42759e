// ops/max_pool.cpp - MaxPool: dst[n,c,i,j] = max of src[n,c] over window (i,j)
//   d src[n,c,argmax of window (i,j)] += d dst[n,c,i,j]
// NOTE: padding never wins a window (EXPLICIT pads are smaller than the
// kernel, so every window holds an input pixel). On ties the whole gradient
// goes to the one maximum oneDNN recorded in the workspace.
#include <unordered_map>

#include "ops/internal/pool_common.h"

namespace tapeflow::ops {
namespace {

struct MaxPoolState {
  dnnl::pooling_forward fwd;
  dnnl::memory workspace;  ///< argmax per window (forward_training only)
  std::optional<dnnl::pooling_backward> bwd;
  Relayout diffDst;  ///< output layout -> the backward pd's diff_dst
  OneChannelView view;
};

void prepare(PrepareContext& ctx) {
  Window2D w = readPoolWindow(ctx);
  auto& st = ctx.makeState<MaxPoolState>();
  // src keeps its producer's layout (pooling cannot take `any` for src),
  // seen as nhwc when it has one channel (OneChannelView).
  st.view = oneChannelView(ctx);
  const dnnl::memory::desc srcMd = st.view.on ? st.view.src : ctx.inputDesc(0);
  dnnl::pooling_forward::primitive_desc fwdPd(
      {forwardKind(ctx), algorithm::pooling_max, srcMd,
       st.view.on ? st.view.dst : anyDesc(ctx.outputDims(0)), w.strideDims(),
       w.kernelDims(), w.padL(), w.padR()},
      ctx.engine());
  ctx.setOutputDesc(0, st.view.on ? plainDesc(ctx.outputDims(0))
                                  : fwdPd.dst_desc());
  ctx.noteImpl("fwd", fwdPd.impl_info_str());
  st.fwd = dnnl::pooling_forward(fwdPd);
  if (fwdPd.workspace_desc().get_size() > 0)
    st.workspace = ctx.scratch(fwdPd.workspace_desc());
  if (!ctx.needsGrad(0)) return;
  dnnl::pooling_backward::primitive_desc bwdPd(
      {algorithm::pooling_max, srcMd, fwdPd.dst_desc(), w.strideDims(),
       w.kernelDims(), w.padL(), w.padR()},
      ctx.engine(), fwdPd);
  st.bwd = dnnl::pooling_backward(bwdPd);
  ctx.noteImpl("bwd", bwdPd.impl_info_str());
  if (st.view.on) return;  // plain grads, seen through the views
  st.diffDst = Relayout(ctx, ctx.outputDesc(0), bwdPd.diff_dst_desc());
  ctx.setGradInputDesc(0, bwdPd.diff_src_desc());
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<MaxPoolState>();
  auto& v = st.view;
  std::unordered_map<int, dnnl::memory> args{
      {DNNL_ARG_SRC, v.on ? v.of(v.srcMem, ctx.input(0)) : ctx.input(0)},
      {DNNL_ARG_DST, v.on ? v.of(v.dstMem, ctx.output(0)) : ctx.output(0)}};
  if (st.workspace) args.insert({DNNL_ARG_WORKSPACE, st.workspace});
  st.fwd.execute(ctx.stream(), args);
}

void backward(GradContext& ctx) {
  auto& st = ctx.state<MaxPoolState>();
  if (!ctx.needsGrad(0)) return;
  auto& v = st.view;
  st.bwd->execute(
      ctx.stream(),
      {{DNNL_ARG_DIFF_DST, v.on ? v.of(v.dstMem, ctx.gradOutput(0))
                                : st.diffDst(ctx.stream(), ctx.gradOutput(0))},
       {DNNL_ARG_WORKSPACE, st.workspace},
       {DNNL_ARG_DIFF_SRC,
        v.on ? v.of(v.srcMem, ctx.gradInput(0)) : ctx.gradInput(0)}});
}

}  // namespace

const OpDef& maxPoolOp() {
  static const OpDef def = [] {
    OpDef d("MaxPool");
    d.input("src").output("dst").doc(
        "2-D max pooling over [N,C,H,W] (VALID, SAME or EXPLICIT padding)");
    addPoolAttrs(d);
    d.shapes(inferPoolShapes).flops(poolFlops);
    d.prepare(prepare).forward(forward).backward(backward);
    d.samples([] {
      // Distinct inputs spread over [-4, 4): any two values are more than one
      // step (1e-2) apart, so no finite difference changes a window's max.
      SampleCase a;
      a.label = "2x3x6x6_k2";
      a.attrs = {{"kernel", AttrValue::ofInts({2, 2})}};
      a.inputs = {{2, 3, 6, 6}};
      SampleCase b;
      b.label = "1x13x5x5_k3_s2_same";  // 13: not a multiple of 8
      b.attrs = {{"kernel", AttrValue::ofInts({3, 3})},
                 {"stride", AttrValue::ofInts({2, 2})},
                 {"padding", AttrValue::ofString("SAME")}};
      b.inputs = {{1, 13, 5, 5}};
      for (SampleCase* c : {&a, &b}) {
        c->distinctInputs = true;
        c->low = -4.f;
        c->high = 4.f;
      }
      return std::vector<SampleCase>{a, b};
    });
    return d;
  }();
  return def;
}

}  // namespace tapeflow::ops
