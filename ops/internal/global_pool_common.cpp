// ops/internal/global_pool_common.cpp - global pooling on oneDNN's pooling
// primitives with kernel = [H, W], stride 1, no padding. src keeps its
// producer's layout; max pooling keeps oneDNN's workspace (the argmax) for
// backward.
#include "ops/internal/global_pool_common.h"

namespace tapeflow::ops {
namespace {

struct GlobalPoolState {
  dnnl::pooling_forward fwd;
  std::optional<dnnl::pooling_backward> bwd;
  dnnl::memory workspace;  ///< max, forward_training only
  Relayout diffDst;        ///< output layout -> the backward pd's diff_dst
};

void inferShapes(ShapeContext& ctx) {
  requireRank(ctx, 0, 4);
  const Dims& in = ctx.inputDims(0);
  ctx.setOutput(0, {in[0], in[1], 1, 1});
}

void prepare(PrepareContext& ctx, algorithm alg) {
  const Dims& in = ctx.inputDims(0);
  const dnnl::memory::dims kernel{in[2], in[3]}, strides{1, 1}, pad{0, 0};
  const dnnl::memory::desc& srcMd = ctx.inputDesc(0);
  dnnl::pooling_forward::primitive_desc fwdPd(
      {forwardKind(ctx), alg, srcMd, anyDesc(ctx.outputDims(0)), strides,
       kernel, pad, pad},
      ctx.engine());
  ctx.setOutputDesc(0, fwdPd.dst_desc());
  ctx.noteImpl("fwd", fwdPd.impl_info_str());
  auto& st = ctx.makeState<GlobalPoolState>();
  st.fwd = dnnl::pooling_forward(fwdPd);
  if (fwdPd.workspace_desc().get_size() > 0)
    st.workspace = ctx.scratch(fwdPd.workspace_desc());
  if (!ctx.needsGrad(0)) return;
  dnnl::pooling_backward::primitive_desc bwdPd(
      {alg, srcMd, fwdPd.dst_desc(), strides, kernel, pad, pad}, ctx.engine(),
      fwdPd);
  st.bwd = dnnl::pooling_backward(bwdPd);
  ctx.noteImpl("bwd", bwdPd.impl_info_str());
  st.diffDst = Relayout(ctx, ctx.outputDesc(0), bwdPd.diff_dst_desc());
  ctx.setGradInputDesc(0, bwdPd.diff_src_desc());
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<GlobalPoolState>();
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, ctx.input(0)},
                                             {DNNL_ARG_DST, ctx.output(0)}};
  if (st.workspace) args.insert({DNNL_ARG_WORKSPACE, st.workspace});
  st.fwd.execute(ctx.stream(), args);
}

void backward(GradContext& ctx) {
  auto& st = ctx.state<GlobalPoolState>();
  if (!ctx.needsGrad(0)) return;
  std::unordered_map<int, dnnl::memory> args{
      {DNNL_ARG_DIFF_DST, st.diffDst(ctx.stream(), ctx.gradOutput(0))},
      {DNNL_ARG_DIFF_SRC, ctx.gradInput(0)}};
  if (st.workspace) args.insert({DNNL_ARG_WORKSPACE, st.workspace});
  st.bwd->execute(ctx.stream(), args);
}

}  // namespace

OpDef makeGlobalPoolOp(std::string name, algorithm alg, std::string doc) {
  OpDef def(std::move(name));
  def.input("src").output("dst").doc(std::move(doc));
  def.shapes(inferShapes);
  def.flops([](const ShapeContext& ctx) { return numel(ctx.inputDims(0)); });
  def.prepare([alg](PrepareContext& ctx) { prepare(ctx, alg); });
  def.forward(forward);
  def.backward(backward);
  def.backwardReads({});  // max: the workspace says where each max came from
  def.samples([alg] {
    SampleCase a;
    a.label = "2x3x4x5";
    a.inputs = {{2, 3, 4, 5}};
    SampleCase b;
    b.label = "1x13x3x3";  // 13: not a multiple of 8
    b.inputs = {{1, 13, 3, 3}};
    std::vector<SampleCase> all{a, b};
    // Max: values spaced apart (no near-ties within a finite-difference step).
    for (SampleCase& c : all) c.distinctInputs = alg == algorithm::pooling_max;
    return all;
  });
  return def;
}

}  // namespace tapeflow::ops
