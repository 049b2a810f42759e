// ops/internal/softmax_common.cpp - softmax_v2 forward/backward on oneDNN.
#include "ops/internal/softmax_common.h"

namespace tapeflow::ops {
namespace {

struct SoftmaxState {
  Relayout src;  ///< producer's layout -> plain
  dnnl::softmax_v2_forward fwd;
  std::optional<dnnl::softmax_v2_backward> bwd;
};

/// The axis attribute resolved to [0, rank).
int axisOf(const NodeView& ctx) {
  int64_t rank = ctx.inputRank(0), axis = ctx.attrInt("axis");
  return int(axis < 0 ? axis + rank : axis);
}

void inferShapes(ShapeContext& ctx) {
  int64_t rank = ctx.inputRank(0), axis = ctx.attrInt("axis");
  if (rank == 0)
    ctx.fail(ctx.describeInput(0) + " must have rank >= 1, found rank 0");
  if (axis < -rank || axis >= rank)
    ctx.failAttr("axis", "must be in [" + std::to_string(-rank) + ", " +
                             std::to_string(rank - 1) + "] for " +
                             ctx.describeInput(0) + ", found " +
                             std::to_string(axis));
  ctx.setOutput(0, ctx.inputDims(0));
}

}  // namespace

OpDef makeSoftmaxOp(std::string name, algorithm alg, std::string doc) {
  OpDef def(std::move(name));
  def.input("src").output("dst").doc(std::move(doc));
  def.attr("axis", AttrValue::ofInt(-1),
           "axis to normalise over; negative counts from the end");
  def.shapes(inferShapes);
  // max, subtract, exp, sum, normalise: about 5 per element.
  def.flops(
      [](const ShapeContext& ctx) { return 5 * numel(ctx.inputDims(0)); });
  def.prepare([alg](PrepareContext& ctx) {
    int axis = axisOf(ctx);
    dnnl::memory::desc md = plainDesc(ctx.inputDims(0));
    auto& st = ctx.makeState<SoftmaxState>();
    st.src = Relayout(ctx, ctx.inputDesc(0), md);
    dnnl::softmax_v2_forward::primitive_desc fwdPd(
        {forwardKind(ctx), alg, md, md, axis}, ctx.engine());
    st.fwd = dnnl::softmax_v2_forward(fwdPd);
    if (ctx.runsBackward() && ctx.needsGrad(0)) {
      // diff_src, diff_dst, dst: all plain (the output is plain).
      dnnl::softmax_v2_backward::primitive_desc bwdPd(
          {alg, md, md, fwdPd.dst_desc(), axis}, ctx.engine(), fwdPd);
      st.bwd = dnnl::softmax_v2_backward(bwdPd);
      ctx.setGradInputDesc(0, md);
    }
  });
  def.forward([](ExecContext& ctx) {
    auto& st = ctx.state<SoftmaxState>();
    st.fwd.execute(ctx.stream(),
                   {{DNNL_ARG_SRC, st.src(ctx.stream(), ctx.input(0))},
                    {DNNL_ARG_DST, ctx.output(0)}});
  });
  def.backward([](GradContext& ctx) {
    if (!ctx.needsGrad(0)) return;
    auto& st = ctx.state<SoftmaxState>();
    st.bwd->execute(ctx.stream(), {{DNNL_ARG_DST, ctx.output(0)},
                                   {DNNL_ARG_DIFF_DST, ctx.gradOutput(0)},
                                   {DNNL_ARG_DIFF_SRC, ctx.gradInput(0)}});
  });
  def.samples([alg] {
    SampleCase a;
    a.label = "3x10";
    a.inputs = {{3, 10}};
    SampleCase b;
    b.label = "2x13x3_axis1";  // 13: not a multiple of 8
    b.inputs = {{2, 13, 3}};
    b.attrs = {{"axis", AttrValue::ofInt(1)}};
    // NOTE: the jit softmax_log evaluates log(sum) with an absolute error of
    // ~2e-6 that is not smooth in the input; with the default step 1e-2 that
    // noise reaches ~1e-3 in the finite differences, with 5e-2 ~2e-4.
    if (alg == algorithm::softmax_log) a.step = b.step = 5e-2f;
    return std::vector<SampleCase>{a, b};
  });
  return def;
}

}  // namespace tapeflow::ops
