// ops/avg_pool.cpp - AvgPool: dst[n,c,i,j] = sum of src[n,c] over window (i,j)
//   / count, count = kernel area (count_include_pad 1) or the input pixels in
//   the window (count_include_pad 0);  d src[p] = sum over windows holding p
//   of d dst / count
#include "ops/internal/pool_common.h"

namespace tapeflow::ops {
namespace {

struct AvgPoolState {
  dnnl::pooling_forward fwd;
  std::optional<dnnl::pooling_backward> bwd;
  Relayout diffDst;  ///< output layout -> the backward pd's diff_dst
  OneChannelView view;
};

void inferShapes(ShapeContext& ctx) {
  int64_t include = ctx.attrInt("count_include_pad");
  if (include != 0 && include != 1)
    ctx.failAttr("count_include_pad",
                 "must be 0 or 1, found " + std::to_string(include));
  inferPoolShapes(ctx);
}

void prepare(PrepareContext& ctx) {
  Window2D w = readPoolWindow(ctx);
  algorithm alg = ctx.attrInt("count_include_pad")
                      ? algorithm::pooling_avg_include_padding
                      : algorithm::pooling_avg_exclude_padding;
  auto& st = ctx.makeState<AvgPoolState>();
  // src keeps its producer's layout (pooling cannot take `any` for src),
  // seen as nhwc when it has one channel (OneChannelView).
  st.view = oneChannelView(ctx);
  const dnnl::memory::desc srcMd = st.view.on ? st.view.src : ctx.inputDesc(0);
  dnnl::pooling_forward::primitive_desc fwdPd(
      {forwardKind(ctx), alg, srcMd,
       st.view.on ? st.view.dst : anyDesc(ctx.outputDims(0)), w.strideDims(),
       w.kernelDims(), w.padL(), w.padR()},
      ctx.engine());
  ctx.setOutputDesc(0, st.view.on ? plainDesc(ctx.outputDims(0))
                                  : fwdPd.dst_desc());
  ctx.noteImpl("fwd", fwdPd.impl_info_str());
  st.fwd = dnnl::pooling_forward(fwdPd);
  if (!ctx.needsGrad(0)) return;
  dnnl::pooling_backward::primitive_desc bwdPd(
      {alg, srcMd, fwdPd.dst_desc(), w.strideDims(), w.kernelDims(), w.padL(),
       w.padR()},
      ctx.engine(), fwdPd);
  st.bwd = dnnl::pooling_backward(bwdPd);
  ctx.noteImpl("bwd", bwdPd.impl_info_str());
  if (st.view.on) return;  // plain grads, seen through the views
  st.diffDst = Relayout(ctx, ctx.outputDesc(0), bwdPd.diff_dst_desc());
  ctx.setGradInputDesc(0, bwdPd.diff_src_desc());
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<AvgPoolState>();
  auto& v = st.view;
  st.fwd.execute(
      ctx.stream(),
      {{DNNL_ARG_SRC, v.on ? v.of(v.srcMem, ctx.input(0)) : ctx.input(0)},
       {DNNL_ARG_DST, v.on ? v.of(v.dstMem, ctx.output(0)) : ctx.output(0)}});
}

void backward(GradContext& ctx) {
  auto& st = ctx.state<AvgPoolState>();
  if (!ctx.needsGrad(0)) return;
  auto& v = st.view;
  st.bwd->execute(
      ctx.stream(),
      {{DNNL_ARG_DIFF_DST, v.on ? v.of(v.dstMem, ctx.gradOutput(0))
                                : st.diffDst(ctx.stream(), ctx.gradOutput(0))},
       {DNNL_ARG_DIFF_SRC,
        v.on ? v.of(v.srcMem, ctx.gradInput(0)) : ctx.gradInput(0)}});
}

}  // namespace

const OpDef& avgPoolOp() {
  static const OpDef def = [] {
    OpDef d("AvgPool");
    d.input("src").output("dst").doc(
        "2-D average pooling over [N,C,H,W] (VALID, SAME or EXPLICIT "
        "padding)");
    addPoolAttrs(d);
    d.attr("count_include_pad", AttrValue::ofInt(0),
           "1: divide by the kernel area; 0: by the input pixels covered");
    d.shapes(inferShapes).flops(poolFlops);
    d.prepare(prepare).forward(forward).backward(backward);
    d.backwardReads({});  // spreads d dst over the windows
    d.samples([] {
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
      SampleCase c;
      c.label = "1x5x4x5_k3_explicit_include_pad";
      c.attrs = {{"kernel", AttrValue::ofInts({3, 3})},
                 {"padding", AttrValue::ofString("EXPLICIT")},
                 {"pads", AttrValue::ofInts({1, 2, 2, 0})},
                 {"count_include_pad", AttrValue::ofInt(1)}};
      c.inputs = {{1, 5, 4, 5}};
      return std::vector<SampleCase>{a, b, c};
    });
    return d;
  }();
  return def;
}

}  // namespace tapeflow::ops
