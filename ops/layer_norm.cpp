// ops/layer_norm.cpp - LayerNorm (ONNX LayerNormalization) over the dims
// axis.. of src, viewed as rows [outer, inner]:
//   dst = (src - mu_row) / sqrt(var_row + epsilon) * scale + bias
//   d src, d scale, d bias: layer_normalization_backward (through mu, var)
// scale and bias have dims src[axis:]; bias is optional.
// NOTE: oneDNN normalises over the last dim, so src, dst and their
// gradients are viewed as plain 2-D [outer, inner] (same bytes, no copy).
#include <cmath>
#include <optional>

#include "ops/internal/axes.h"

namespace tapeflow::ops {
namespace {

struct LayerNormState {
  Relayout toPlain;
  dnnl::layer_normalization_forward fwd;
  std::optional<dnnl::layer_normalization_backward> bwd;
  dnnl::memory src, dst, diffSrc, diffDst;  ///< 2-D views, handles set late
  dnnl::memory scale, shift, diffScale, diffShift;  ///< 1-D views
  dnnl::memory mean, variance;
  dnnl::memory sinkSrc, sinkScale, sinkShift;  ///< gradients nobody needs
  bool hasBias = false;
};

/// (outer, inner) of src split at `axis`.
std::pair<int64_t, int64_t> rows(const NodeView& ctx) {
  const Dims& in = ctx.inputDims(0);
  int64_t axis = resolveAxis(ctx, "axis", ctx.attrInt("axis"), int64_t(in.size()));
  int64_t outer = 1, inner = 1;
  for (size_t k = 0; k < in.size(); ++k)
    (int64_t(k) < axis ? outer : inner) *= in[k];
  return {outer, inner};
}

void inferShapes(ShapeContext& ctx) {
  const Dims& in = ctx.inputDims(0);
  if (in.empty()) ctx.fail(ctx.describeInput(0) + " must have rank >= 1");
  int64_t axis = resolveAxis(ctx, "axis", ctx.attrInt("axis"), int64_t(in.size()));
  const Dims want(in.begin() + axis, in.end());
  for (int i = 1; i < ctx.numInputs(); ++i)
    if (ctx.inputDims(i) != want)
      ctx.fail(ctx.describeInput(i) + " must be " + dimsStr(want) +
               " (the dims of src " + dimsStr(in) + " from axis " +
               std::to_string(axis) + ")");
  float eps = ctx.attrFloat("epsilon");
  if (!(eps > 0.f) || !std::isfinite(eps))
    ctx.failAttr("epsilon", "must be positive and finite, found " +
                                std::to_string(eps));
  ctx.setOutput(0, in);
}

void prepare(PrepareContext& ctx) {
  auto& st = ctx.makeState<LayerNormState>();
  auto [outer, inner] = rows(ctx);
  st.hasBias = ctx.numInputs() > 2;
  const dnnl::memory::desc plain = plainDesc(ctx.inputDims(0));
  st.toPlain = Relayout(ctx, ctx.inputDesc(0), plain);
  const dnnl::memory::desc md = plainDesc({outer, inner});
  const dnnl::memory::desc perRow = plainDesc({outer});
  const dnnl::memory::desc perCol = plainDesc({inner});
  auto view = [&](const dnnl::memory::desc& d) {
    return dnnl::memory(d, ctx.engine(), DNNL_MEMORY_NONE);
  };
  auto flags = dnnl::normalization_flags::use_scale;
  if (st.hasBias) flags |= dnnl::normalization_flags::use_shift;
  const float eps = ctx.attrFloat("epsilon");
  dnnl::layer_normalization_forward::primitive_desc fwdPd(
      {forwardKind(ctx), md, perRow, eps, flags}, ctx.engine());
  ctx.noteImpl("fwd", fwdPd.impl_info_str());
  st.fwd = dnnl::layer_normalization_forward(fwdPd);
  st.src = view(md);
  st.dst = view(md);
  st.scale = view(perCol);
  st.shift = view(perCol);
  st.mean = ctx.scratch(fwdPd.mean_desc());
  st.variance = ctx.scratch(fwdPd.variance_desc());
  if (!ctx.runsBackward()) return;
  dnnl::layer_normalization_backward::primitive_desc bwdPd(
      {prop_kind::backward, md, md, perRow, eps, flags}, ctx.engine(), fwdPd);
  ctx.noteImpl("bwd", bwdPd.impl_info_str());
  st.bwd = dnnl::layer_normalization_backward(bwdPd);
  st.diffSrc = view(md);
  st.diffDst = view(md);
  st.diffScale = view(perCol);
  st.diffShift = view(perCol);
  if (ctx.needsGrad(0) && ctx.inputDesc(0) != plain)
    ctx.setGradInputDesc(0, plain);
  if (!ctx.needsGrad(0)) st.sinkSrc = ctx.scratch(md);
  if (!ctx.needsGrad(1)) st.sinkScale = ctx.scratch(perCol);
  if (st.hasBias && !ctx.needsGrad(2)) st.sinkShift = ctx.scratch(perCol);
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<LayerNormState>();
  st.src.set_data_handle(st.toPlain(ctx.stream(), ctx.input(0)).get_data_handle());
  st.dst.set_data_handle(ctx.output(0).get_data_handle());
  st.scale.set_data_handle(ctx.input(1).get_data_handle());
  std::unordered_map<int, dnnl::memory> args = {
      {DNNL_ARG_SRC, st.src},       {DNNL_ARG_DST, st.dst},
      {DNNL_ARG_SCALE, st.scale},   {DNNL_ARG_MEAN, st.mean},
      {DNNL_ARG_VARIANCE, st.variance}};
  if (st.hasBias) {
    st.shift.set_data_handle(ctx.input(2).get_data_handle());
    args[DNNL_ARG_SHIFT] = st.shift;
  }
  st.fwd.execute(ctx.stream(), args);
}

void backward(GradContext& ctx) {
  auto& st = ctx.state<LayerNormState>();
  auto handle = [&](int i, const dnnl::memory& sink) {
    return ctx.needsGrad(i) ? ctx.gradInput(i).get_data_handle()
                            : sink.get_data_handle();
  };
  // forward left st.src pointing at the plain src of this step
  st.diffDst.set_data_handle(ctx.gradOutput(0).get_data_handle());
  st.diffSrc.set_data_handle(handle(0, st.sinkSrc));
  st.diffScale.set_data_handle(handle(1, st.sinkScale));
  std::unordered_map<int, dnnl::memory> args = {
      {DNNL_ARG_SRC, st.src},           {DNNL_ARG_DIFF_DST, st.diffDst},
      {DNNL_ARG_MEAN, st.mean},         {DNNL_ARG_VARIANCE, st.variance},
      {DNNL_ARG_SCALE, st.scale},       {DNNL_ARG_DIFF_SRC, st.diffSrc},
      {DNNL_ARG_DIFF_SCALE, st.diffScale}};
  if (st.hasBias) {
    st.diffShift.set_data_handle(handle(2, st.sinkShift));
    args[DNNL_ARG_SHIFT] = st.shift;
    args[DNNL_ARG_DIFF_SHIFT] = st.diffShift;
  }
  st.bwd->execute(ctx.stream(), args);
}

}  // namespace

const OpDef& layerNormOp() {
  static const OpDef def = [] {
    OpDef d("LayerNorm");
    d.input("src").input("scale").optionalInput("bias").output("dst");
    d.attr("axis", AttrValue::ofInt(-1),
           "first normalised dim; the dims axis.. form one group");
    d.attr("epsilon", AttrValue::ofFloat(1e-5f),
           "added to the variance before the square root");
    d.doc("layer normalisation over the dims axis.. (ONNX LayerNormalization)");
    d.shapes(inferShapes).prepare(prepare).forward(forward).backward(backward);
    d.flops([](const ShapeContext& ctx) { return 8 * numel(ctx.inputDims(0)); });
    d.samples([] {
      SampleCase a;
      a.label = "2x3x4x5_axis2";
      a.attrs = {{"axis", AttrValue::ofInt(2)}};
      a.inputs = {{2, 3, 4, 5}, {4, 5}, {4, 5}};
      SampleCase b;
      b.label = "3x13_nobias";  // 13: not a multiple of 8
      b.inputs = {{3, 13}, {13}};
      for (SampleCase* c : {&a, &b}) {
        c->low = -2.f;  // row variances near 1 (finite differences)
        c->high = 3.f;
      }
      return std::vector<SampleCase>{a, b};
    });
    return d;
  }();
  return def;
}

}  // namespace tapeflow::ops
