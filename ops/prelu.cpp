// ops/prelu.cpp - PRelu: dst = src > 0 ? src : slope * src
//   d src = d dst * (src > 0 ? 1 : slope)
//   d slope = sum over the broadcast axes of d dst * min(src, 0)
// The slope is a trainable input: one value [1], one per channel [C] (C =
// src's dim 1, as PyTorch), or any shape that broadcasts to src numpy-style
// (right-aligned, as ONNX: [C,1,1] for [N,C,H,W]). A rank-1 slope of size C
// is per channel even when the last dim of src is also C.
// oneDNN's prelu primitives, on plain data: the slope is viewed with src's
// rank (1 on the broadcast axes; same bytes), and prelu_backward writes both
// gradients, the slope's already summed.
#include "ops/op_kit.h"

namespace tapeflow::ops {
namespace {

struct PReluState {
  Relayout srcPlain;
  dnnl::prelu_forward fwd;
  std::optional<dnnl::prelu_backward> bwd;
  dnnl::memory slopeView, diffSlopeView;  ///< the slope with src's rank
  dnnl::memory diffSrcScratch, diffSlopeScratch;  ///< gradients not needed
  dnnl::memory src;  ///< plain src of the last forward
};

/// The slope's dims viewed with src's rank; empty when it does not fit.
Dims slopeView(const Dims& src, const Dims& slope) {
  if (slope.size() == 1 && src.size() >= 2 && slope[0] == src[1]) {
    Dims v(src.size(), 1);
    v[1] = slope[0];
    return v;
  }
  if (slope.size() > src.size()) return {};
  Dims v(src.size() - slope.size(), 1);
  v.insert(v.end(), slope.begin(), slope.end());
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i] != 1 && v[i] != src[i]) return {};
  return v;
}

void inferShapes(ShapeContext& ctx) {
  if (ctx.inputRank(0) < 1)
    ctx.fail(ctx.describeInput(0) + " must have rank >= 1");
  if (slopeView(ctx.inputDims(0), ctx.inputDims(1)).empty())
    ctx.fail(ctx.describeInput(1) + " does not fit " + ctx.describeInput(0) +
             ": expected [1], [C] with C = dim 1, or a shape that broadcasts "
             "to src (aligned right, dims equal or 1)");
  ctx.setOutput(0, ctx.inputDims(0));
}

void prepare(PrepareContext& ctx) {
  auto& st = ctx.makeState<PReluState>();
  const Dims& dims = ctx.inputDims(0);
  const dnnl::memory::desc plain = plainDesc(dims);
  const dnnl::memory::desc slopeMd =
      plainDesc(slopeView(dims, ctx.inputDims(1)));
  st.srcPlain = Relayout(ctx, ctx.inputDesc(0), plain);
  st.slopeView = dnnl::memory(slopeMd, ctx.engine(), DNNL_MEMORY_NONE);
  dnnl::prelu_forward::primitive_desc fwdPd({forwardKind(ctx), plain, slopeMd},
                                            ctx.engine());
  st.fwd = dnnl::prelu_forward(fwdPd);
  ctx.noteImpl("fwd", fwdPd.impl_info_str());
  if (!ctx.runsBackward()) return;
  dnnl::prelu_backward::primitive_desc bwdPd({plain, slopeMd, plain, slopeMd},
                                             ctx.engine(), fwdPd);
  st.bwd = dnnl::prelu_backward(bwdPd);
  ctx.noteImpl("bwd", bwdPd.impl_info_str());
  st.diffSlopeView = dnnl::memory(slopeMd, ctx.engine(), DNNL_MEMORY_NONE);
  if (ctx.needsGrad(0)) ctx.setGradInputDesc(0, plain);
  else st.diffSrcScratch = ctx.scratch(plain);
  if (!ctx.needsGrad(1)) st.diffSlopeScratch = ctx.scratch(slopeMd);
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<PReluState>();
  dnnl::stream& s = ctx.stream();
  st.src = st.srcPlain(s, ctx.input(0));
  st.slopeView.set_data_handle(ctx.input(1).get_data_handle());
  st.fwd.execute(s, {{DNNL_ARG_SRC, st.src},
                     {DNNL_ARG_WEIGHTS, st.slopeView},
                     {DNNL_ARG_DST, ctx.output(0)}});
}

void backward(GradContext& ctx) {
  auto& st = ctx.state<PReluState>();
  if (!ctx.needsGrad(0) && !ctx.needsGrad(1)) return;
  st.slopeView.set_data_handle(ctx.input(1).get_data_handle());
  st.diffSlopeView.set_data_handle(
      ctx.needsGrad(1) ? ctx.gradInput(1).get_data_handle()
                       : st.diffSlopeScratch.get_data_handle());
  st.bwd->execute(ctx.stream(),
                  {{DNNL_ARG_SRC, st.src},
                   {DNNL_ARG_WEIGHTS, st.slopeView},
                   {DNNL_ARG_DIFF_DST, ctx.gradOutput(0)},
                   {DNNL_ARG_DIFF_SRC, ctx.needsGrad(0) ? ctx.gradInput(0)
                                                        : st.diffSrcScratch},
                   {DNNL_ARG_DIFF_WEIGHTS, st.diffSlopeView}});
}

}  // namespace

const OpDef& preluOp() {
  static const OpDef def = [] {
    OpDef d("PRelu");
    d.input("src").input("slope").output("dst");
    d.doc("parametric relu, x > 0 ? x : slope * x, with a trainable slope "
          "([1], [C] per channel, or broadcasting to x)");
    d.shapes(inferShapes).prepare(prepare).forward(forward).backward(backward);
    d.flops([](const ShapeContext& ctx) { return numel(ctx.inputDims(0)); });
    d.samples([] {
      SampleCase a;
      a.label = "2x3x4x4_per_channel";
      a.inputs = {{2, 3, 4, 4}, {3}};
      SampleCase b;
      b.label = "3x13_per_channel";  // 13: not a multiple of 8
      b.inputs = {{3, 13}, {13}};
      SampleCase c;
      c.label = "2x5x3_one_slope";
      c.inputs = {{2, 5, 3}, {1}};
      SampleCase e;
      e.label = "2x13x2x3_onnx_Cx1x1";
      e.inputs = {{2, 13, 2, 3}, {13, 1, 1}};
      std::vector<SampleCase> all{a, b, c, e};
      for (SampleCase& s : all) {
        s.kink = 0.f;
        s.kinkRange = 0.02f;
      }
      return all;
    });
    return d;
  }();
  return def;
}

}  // namespace tapeflow::ops
