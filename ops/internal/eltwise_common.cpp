// ops/internal/eltwise_common.cpp - eltwise forward/backward on oneDNN.
#include "ops/internal/eltwise_common.h"

#include <cmath>

namespace tapeflow::ops {
namespace {

struct EltwiseState {
  dnnl::eltwise_forward fwd;
  std::optional<dnnl::eltwise_backward> bwd;
  bool useDst = false;
};

float alphaOf(const NodeView& ctx, const EltwiseSpec& spec) {
  return spec.alphaAttr ? ctx.attrFloat(spec.alphaAttr) : spec.alphaDefault;
}

algorithm algorithmOf(const NodeView& ctx, const EltwiseSpec& spec) {
  if (!spec.algAttr) return spec.alg;
  const std::string& chosen = ctx.attrString(spec.algAttr);
  for (const auto& [value, alg] : spec.algChoices)
    if (value == chosen) return alg;
  ctx.failAttr(spec.algAttr, "unknown value \"" + chosen + "\"");
}

void inferShapes(ShapeContext& ctx, const EltwiseSpec& spec) {
  if (spec.alphaAttr) {
    float alpha = alphaOf(ctx, spec);
    std::string found = AttrValue::ofFloat(alpha).str();
    if (!std::isfinite(alpha))
      ctx.failAttr(spec.alphaAttr, "must be finite, found " + found);
    if (spec.useDst && alpha < 0)
      ctx.failAttr(spec.alphaAttr,
                   "must be >= 0 (backward reads dst), found " + found);
  }
  ctx.setOutput(0, ctx.inputDims(0));
}

}  // namespace

OpDef makeEltwiseOp(std::string name, EltwiseSpec spec, std::string doc) {
  OpDef def(std::move(name));
  def.input("src").output("dst").doc(std::move(doc));
  if (spec.alphaAttr)
    def.attr(spec.alphaAttr, AttrValue::ofFloat(spec.alphaDefault),
             "slope or scale of the negative side");
  if (spec.algAttr) {
    std::vector<std::string> values;
    for (const auto& choice : spec.algChoices) values.push_back(choice.first);
    def.attr(spec.algAttr, AttrValue::ofString(values.at(0)),
             "which formula to use")
        .choices(values);
  }
  def.shapes([spec](ShapeContext& ctx) { inferShapes(ctx, spec); });
  def.flops([](const ShapeContext& ctx) { return numel(ctx.inputDims(0)); });
  def.prepare([spec](PrepareContext& ctx) {
    float alpha = alphaOf(ctx, spec);
    algorithm alg = algorithmOf(ctx, spec);
    const auto& md = ctx.inputDesc(0);
    if (!ctx.isFused()) ctx.setOutputDesc(0, md);
    dnnl::eltwise_forward::primitive_desc fwdPd(
        {forwardKind(ctx), alg, md, alpha, spec.beta}, ctx.engine());
    auto& st = ctx.makeState<EltwiseState>();
    st.fwd = dnnl::eltwise_forward(fwdPd);
    st.useDst = spec.useDst;
    if (ctx.runsBackward()) {
      const auto& dataMd = ctx.outputDesc(0);
      dnnl::eltwise_backward::primitive_desc bwdPd(
          {alg, dataMd, dataMd, alpha, spec.beta}, ctx.engine(), fwdPd);
      st.bwd = dnnl::eltwise_backward(bwdPd);
    }
  });
  def.forward([](ExecContext& ctx) {
    auto& st = ctx.state<EltwiseState>();
    st.fwd.execute(ctx.stream(), {{DNNL_ARG_SRC, ctx.input(0)},
                                  {DNNL_ARG_DST, ctx.output(0)}});
  });
  def.backward([](GradContext& ctx) {
    auto& st = ctx.state<EltwiseState>();
    if (!ctx.needsGrad(0)) return;
    st.bwd->execute(ctx.stream(),
                    {{st.useDst ? DNNL_ARG_DST : DNNL_ARG_SRC,
                      st.useDst ? ctx.output(0) : ctx.input(0)},
                     {DNNL_ARG_DIFF_DST, ctx.gradOutput(0)},
                     {DNNL_ARG_DIFF_SRC, ctx.gradInput(0)}});
  });
  if (spec.fusable) {
    def.fusesAsPostOp([spec](const ShapeContext& ctx) {
      // Post-ops take the plain algorithm; backward still reads dst.
      algorithm alg = spec.alg;
      if (alg == algorithm::eltwise_relu_use_dst_for_bwd) alg = algorithm::eltwise_relu;
      if (alg == algorithm::eltwise_tanh_use_dst_for_bwd) alg = algorithm::eltwise_tanh;
      if (alg == algorithm::eltwise_logistic_use_dst_for_bwd)
        alg = algorithm::eltwise_logistic;
      if (alg == algorithm::eltwise_elu_use_dst_for_bwd) alg = algorithm::eltwise_elu;
      return std::vector<PostOpSpec>{{alg, alphaOf(ctx, spec), spec.beta, 1.f}};
    });
  }
  def.samples([spec] {
    SampleCase a;
    a.label = "2x3x4x5";
    a.inputs = {{2, 3, 4, 5}};
    SampleCase b;
    b.label = "3x13";  // 13: not a multiple of 8
    b.inputs = {{3, 13}};
    std::vector<SampleCase> cases{a, b};
    // One more case per non-default algorithm choice (e.g. Gelu "tanh").
    for (size_t k = 1; spec.algAttr && k < spec.algChoices.size(); ++k) {
      SampleCase c = b;
      c.label = "3x13_" + spec.algChoices[k].first;
      c.attrs[spec.algAttr] = AttrValue::ofString(spec.algChoices[k].first);
      cases.push_back(c);
    }
    for (SampleCase& c : cases)
      if (spec.hasKink) {
        c.kink = spec.kink;
        c.kinkRange = 0.02f;
      }
    return cases;
  });
  return def;
}

}  // namespace tapeflow::ops
