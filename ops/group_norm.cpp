// ops/group_norm.cpp - GroupNorm (PyTorch nn.GroupNorm, ONNX
// GroupNormalization with per-channel scale and bias) of src [N, C, ...]:
// the C channels split into num_groups groups of C/G channels,
//   xhat = (src - mu_{n,g}) / sqrt(var_{n,g} + epsilon) over each group
//   dst = xhat * scale[c] + bias[c]
//   d bias = sum_{n,s} d dst; d scale = sum_{n,s} d dst * xhat
//   d src = layer-norm backward of d xhat = d dst * scale[c]
// NOTE: oneDNN 2.6 has no group normalisation; it is composed: a layer
// normalisation of plain src viewed as [N*G, C/G*S] (no affine), then one
// binary mul with a binary-add post-op for the affine ([1, C, 1] operands
// broadcast over [N, C, S]); backward uses binary muls, a sum reduction to
// [1, C, 1] and layer_normalization_backward (backward_data).
#include <cmath>
#include <optional>

#include "ops/op_kit.h"

namespace tapeflow::ops {
namespace {

struct GroupNormState {
  Relayout toPlain;
  dnnl::layer_normalization_forward norm;
  dnnl::binary affine;  ///< dst = xhat * scale (+ bias post-op)
  dnnl::memory src2d, xhat2d, xhat3d, mean, variance;
  dnnl::memory dst3d, scale3d, bias3d;  ///< views, handles set late
  std::optional<dnnl::layer_normalization_backward> normBwd;
  std::optional<dnnl::binary> mul;          ///< d dst * scale (per channel)
  std::optional<dnnl::binary> prod;         ///< d dst * xhat
  std::optional<dnnl::reduction> sum;       ///< [N, C, S] -> [1, C, 1]
  dnnl::memory diffDst3d, diffXhat3d, diffXhat2d, diffSrc2d, product;
  dnnl::memory diffScale3d, diffBias3d;
};

std::string num(int64_t v) { return std::to_string(v); }

void inferShapes(ShapeContext& ctx) {
  const Dims& src = ctx.inputDims(0);
  if (src.size() < 2)
    ctx.fail(ctx.describeInput(0) + " must have rank >= 2 ([N, C, ...])");
  const int64_t groups = ctx.attrInt("num_groups");
  if (groups < 1 || src[1] % groups != 0)
    ctx.failAttr("num_groups", "must be positive and divide the " +
                                   num(src[1]) + " channels of src " +
                                   dimsStr(src) + ", found " + num(groups));
  for (int i = 1; i < 3; ++i)
    if (ctx.inputDims(i) != Dims{src[1]})
      ctx.fail(ctx.describeInput(i) + " must be [" + num(src[1]) +
               "] (one value per channel of src " + dimsStr(src) + ")");
  float eps = ctx.attrFloat("epsilon");
  if (!(eps > 0.f) || !std::isfinite(eps))
    ctx.failAttr("epsilon", "must be positive and finite, found " +
                                std::to_string(eps));
  ctx.setOutput(0, src);
}

void prepare(PrepareContext& ctx) {
  auto& st = ctx.makeState<GroupNormState>();
  const Dims& dims = ctx.inputDims(0);
  const int64_t n = dims[0], c = dims[1], groups = ctx.attrInt("num_groups");
  const int64_t s = numel(dims) / (n * c);
  const dnnl::engine& eng = ctx.engine();
  const dnnl::memory::desc plain = plainDesc(dims);
  const dnnl::memory::desc rows = plainDesc({n * groups, c / groups * s});
  // NOTE: [N, C] when there is no spatial dim ([N, C, 1] broadcasts wrongly)
  const dnnl::memory::desc full =
      s > 1 ? plainDesc({n, c, s}) : plainDesc({n, c});
  const dnnl::memory::desc perC = s > 1 ? plainDesc({1, c, 1}) : plainDesc({1, c});
  auto view = [&](const dnnl::memory::desc& d) {
    return dnnl::memory(d, eng, DNNL_MEMORY_NONE);
  };
  st.toPlain = Relayout(ctx, ctx.inputDesc(0), plain);
  const float eps = ctx.attrFloat("epsilon");
  dnnl::layer_normalization_forward::primitive_desc normPd(
      {prop_kind::forward_training, rows, plainDesc({n * groups}), eps,
       dnnl::normalization_flags::none},
      eng);
  ctx.noteImpl("norm", normPd.impl_info_str());
  st.norm = dnnl::layer_normalization_forward(normPd);
  dnnl::post_ops addBias;
  addBias.append_binary(algorithm::binary_add, perC);
  dnnl::primitive_attr attr;
  attr.set_post_ops(addBias);
  dnnl::binary::primitive_desc affinePd(
      {algorithm::binary_mul, full, perC, full}, attr, eng);
  ctx.noteImpl("affine", affinePd.impl_info_str());
  st.affine = dnnl::binary(affinePd);
  st.src2d = view(rows);
  st.xhat3d = ctx.scratch(full);
  st.xhat2d = dnnl::memory(rows, eng, st.xhat3d.get_data_handle());
  st.mean = ctx.scratch(normPd.mean_desc());
  st.variance = ctx.scratch(normPd.variance_desc());
  st.dst3d = view(full);
  st.scale3d = view(perC);
  st.bias3d = view(perC);
  if (!ctx.runsBackward()) return;
  dnnl::binary::primitive_desc mulPd({algorithm::binary_mul, full, perC, full},
                                     eng);
  st.mul = dnnl::binary(mulPd);
  st.prod = dnnl::binary(dnnl::binary::primitive_desc(
      {algorithm::binary_mul, full, full, full}, eng));
  dnnl::reduction::primitive_desc sumPd(
      {algorithm::reduction_sum, full, perC, 0.f, 0.f}, eng);
  ctx.noteImpl("sum", sumPd.impl_info_str());
  st.sum = dnnl::reduction(sumPd);
  dnnl::layer_normalization_backward::primitive_desc bwdPd(
      {prop_kind::backward_data, rows, rows, plainDesc({n * groups}), eps,
       dnnl::normalization_flags::none},
      eng, normPd);
  ctx.noteImpl("norm_bwd", bwdPd.impl_info_str());
  st.normBwd = dnnl::layer_normalization_backward(bwdPd);
  st.diffDst3d = view(full);
  st.diffXhat3d = ctx.scratch(full);
  st.diffXhat2d = dnnl::memory(rows, eng, st.diffXhat3d.get_data_handle());
  st.diffSrc2d = view(rows);
  st.product = ctx.scratch(full);
  st.diffScale3d = view(perC);
  st.diffBias3d = view(perC);
  if (ctx.needsGrad(0) && ctx.inputDesc(0) != plain)
    ctx.setGradInputDesc(0, plain);
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<GroupNormState>();
  dnnl::stream& s = ctx.stream();
  st.src2d.set_data_handle(st.toPlain(s, ctx.input(0)).get_data_handle());
  st.norm.execute(s, {{DNNL_ARG_SRC, st.src2d},
                      {DNNL_ARG_DST, st.xhat2d},
                      {DNNL_ARG_MEAN, st.mean},
                      {DNNL_ARG_VARIANCE, st.variance}});
  st.dst3d.set_data_handle(ctx.output(0).get_data_handle());
  st.scale3d.set_data_handle(ctx.input(1).get_data_handle());
  st.bias3d.set_data_handle(ctx.input(2).get_data_handle());
  st.affine.execute(
      s, {{DNNL_ARG_SRC_0, st.xhat3d},
          {DNNL_ARG_SRC_1, st.scale3d},
          {DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, st.bias3d},
          {DNNL_ARG_DST, st.dst3d}});
}

void backward(GradContext& ctx) {
  auto& st = ctx.state<GroupNormState>();
  dnnl::stream& s = ctx.stream();
  st.diffDst3d.set_data_handle(ctx.gradOutput(0).get_data_handle());
  if (ctx.needsGrad(2)) {
    st.diffBias3d.set_data_handle(ctx.gradInput(2).get_data_handle());
    st.sum->execute(s, {{DNNL_ARG_SRC, st.diffDst3d},
                        {DNNL_ARG_DST, st.diffBias3d}});
  }
  if (ctx.needsGrad(1)) {
    st.prod->execute(s, {{DNNL_ARG_SRC_0, st.diffDst3d},
                         {DNNL_ARG_SRC_1, st.xhat3d},
                         {DNNL_ARG_DST, st.product}});
    st.diffScale3d.set_data_handle(ctx.gradInput(1).get_data_handle());
    st.sum->execute(s, {{DNNL_ARG_SRC, st.product},
                        {DNNL_ARG_DST, st.diffScale3d}});
  }
  if (!ctx.needsGrad(0)) return;
  st.mul->execute(s, {{DNNL_ARG_SRC_0, st.diffDst3d},
                      {DNNL_ARG_SRC_1, st.scale3d},
                      {DNNL_ARG_DST, st.diffXhat3d}});
  st.diffSrc2d.set_data_handle(ctx.gradInput(0).get_data_handle());
  st.normBwd->execute(s, {{DNNL_ARG_SRC, st.src2d},
                          {DNNL_ARG_DIFF_DST, st.diffXhat2d},
                          {DNNL_ARG_MEAN, st.mean},
                          {DNNL_ARG_VARIANCE, st.variance},
                          {DNNL_ARG_DIFF_SRC, st.diffSrc2d}});
}

}  // namespace

const OpDef& groupNormOp() {
  static const OpDef def = [] {
    OpDef d("GroupNorm");
    d.input("src").input("scale").input("bias").output("dst");
    d.requiredAttr("num_groups", AttrKind::Int,
                   "groups the channels split into; divides C");
    d.attr("epsilon", AttrValue::ofFloat(1e-5f),
           "added to the variance before the square root");
    d.doc("group normalisation with a per-channel affine (PyTorch GroupNorm)");
    d.shapes(inferShapes).prepare(prepare).forward(forward).backward(backward);
    d.flops([](const ShapeContext& ctx) { return 8 * numel(ctx.inputDims(0)); });
    d.samples([] {
      SampleCase a;
      a.label = "2x6x3x2_groups3";
      a.attrs = {{"num_groups", AttrValue::ofInt(3)}};
      a.inputs = {{2, 6, 3, 2}, {6}, {6}};
      SampleCase b;
      b.label = "3x13x4_groups1";  // 13: not a multiple of 8
      b.attrs = {{"num_groups", AttrValue::ofInt(1)}};
      b.inputs = {{3, 13, 4}, {13}, {13}};
      for (SampleCase* k : {&a, &b}) {
        k->low = -2.f;  // group variances near 1 (finite differences)
        k->high = 3.f;
      }
      return std::vector<SampleCase>{a, b};
    });
    return d;
  }();
  return def;
}

}  // namespace tapeflow::ops
