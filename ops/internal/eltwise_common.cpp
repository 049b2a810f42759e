// ops/internal/eltwise_common.cpp - eltwise forward/backward on oneDNN.
#include "ops/internal/eltwise_common.h"

#include <cmath>
#include <cstring>

#include "core/fused_chain.h"
#include "core/row_view.h"

namespace tapeflow::ops {
namespace {

struct EltwiseState {
  dnnl::eltwise_forward fwd;
  std::optional<dnnl::eltwise_backward> bwd;
  bool useDst = false;
  // Two-stage ops: mid = first(src), dst = then(mid); backward reads dst.
  std::optional<dnnl::eltwise_forward> thenFwd;
  std::optional<dnnl::eltwise_backward> thenBwd;
  dnnl::memory mid, diffMid;
  /// readsGradRows ops: the math of backward's own loop, for a gradient
  /// that is a row view (a part of a Concat's output gradient).
  std::optional<PointwiseOp> rowsMath;
};

/// Ops whose backward can run as a loop over rows of the output gradient:
/// the derivative reads dst only and the chain's loops know the math.
bool readsRows(const EltwiseSpec& spec) {
  return spec.useDst && !spec.hasThen && spec.pointwise &&
         derivativeFromOutput(*spec.pointwise);
}

constexpr int64_t kParallelMin = int64_t{1} << 15;  ///< floats

/// d src = f'(dst) * d dst, d dst read row by row from a view.
void backwardFromRows(const PointwiseOp& op, const RowView& v,
                      const float* diffDst, const float* dst, float* diffSrc) {
  const int64_t len = v.rowLength;
#pragma omp parallel for schedule(static) if (v.rows > 1 && v.rows * len >= kParallelMin)
  for (int64_t r = 0; r < v.rows; ++r) {
    float* g = diffSrc + r * len;
    std::memcpy(g, diffDst + v.offset + r * v.rowStride, size_t(len) * sizeof(float));
    activationBackward(op, dst + r * len, g, len);
  }
}

float alphaOf(const NodeView& ctx, const EltwiseSpec& spec) {
  return spec.alphaAttr ? ctx.attrFloat(spec.alphaAttr) : spec.alphaDefault;
}

float betaOf(const NodeView& ctx, const EltwiseSpec& spec) {
  return spec.betaAttr ? ctx.attrFloat(spec.betaAttr) : spec.beta;
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
    // relu/elu recover the sign of src from dst only for alpha >= 0.
    bool signFromDst = spec.alg == algorithm::eltwise_relu_use_dst_for_bwd ||
                       spec.alg == algorithm::eltwise_elu_use_dst_for_bwd;
    if (signFromDst && alpha < 0)
      ctx.failAttr(spec.alphaAttr,
                   "must be >= 0 (backward reads dst), found " + found);
  }
  if (spec.betaAttr && !std::isfinite(betaOf(ctx, spec)))
    ctx.failAttr(spec.betaAttr,
                 "must be finite, found " +
                     AttrValue::ofFloat(betaOf(ctx, spec)).str());
  if (spec.check) spec.check(ctx);
  ctx.setOutput(0, ctx.inputDims(0));
}

void prepare(PrepareContext& ctx, const EltwiseSpec& spec) {
  float alpha = alphaOf(ctx, spec), beta = betaOf(ctx, spec);
  algorithm alg = algorithmOf(ctx, spec);
  const auto& md = ctx.inputDesc(0);
  if (!ctx.isFused()) ctx.setOutputDesc(0, md);
  dnnl::eltwise_forward::primitive_desc fwdPd(
      {forwardKind(ctx), alg, md, alpha, beta}, ctx.engine());
  auto& st = ctx.makeState<EltwiseState>();
  st.fwd = dnnl::eltwise_forward(fwdPd);
  st.useDst = spec.useDst;
  std::optional<dnnl::eltwise_forward::primitive_desc> thenPd;
  if (spec.hasThen) {
    thenPd.emplace(dnnl::eltwise_forward::desc(forwardKind(ctx), spec.thenAlg,
                                               md, spec.thenAlpha,
                                               spec.thenBeta),
                   ctx.engine());
    st.thenFwd = dnnl::eltwise_forward(*thenPd);
    st.mid = ctx.scratch(md);
  }
  if (!ctx.runsBackward()) return;
  if (readsRows(spec)) st.rowsMath = PointwiseOp{*spec.pointwise, alpha, beta};
  const auto& dataMd = ctx.outputDesc(0);
  dnnl::eltwise_backward::primitive_desc bwdPd(
      {alg, dataMd, dataMd, alpha, beta}, ctx.engine(), fwdPd);
  st.bwd = dnnl::eltwise_backward(bwdPd);
  if (spec.hasThen) {
    st.thenBwd = dnnl::eltwise_backward(dnnl::eltwise_backward::primitive_desc(
        {spec.thenAlg, dataMd, dataMd, spec.thenAlpha, spec.thenBeta},
        ctx.engine(), *thenPd));
    st.diffMid = ctx.scratch(md);
  }
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<EltwiseState>();
  dnnl::stream& s = ctx.stream();
  if (!st.thenFwd) {
    st.fwd.execute(s, {{DNNL_ARG_SRC, ctx.input(0)},
                       {DNNL_ARG_DST, ctx.output(0)}});
    return;
  }
  st.fwd.execute(s, {{DNNL_ARG_SRC, ctx.input(0)}, {DNNL_ARG_DST, st.mid}});
  st.thenFwd->execute(s, {{DNNL_ARG_SRC, st.mid},
                          {DNNL_ARG_DST, ctx.output(0)}});
}

/// The `then` stage reads its dst (a *_use_dst_for_bwd algorithm) or its
/// src (mid, kept by forward).
bool thenUsesDst(algorithm alg) {
  return alg == algorithm::eltwise_clip_v2_use_dst_for_bwd ||
         alg == algorithm::eltwise_relu_use_dst_for_bwd ||
         alg == algorithm::eltwise_logistic_use_dst_for_bwd;
}

void backward(GradContext& ctx, const EltwiseSpec& spec) {
  auto& st = ctx.state<EltwiseState>();
  if (!ctx.needsGrad(0)) return;
  dnnl::stream& s = ctx.stream();
  dnnl::memory diff = ctx.gradOutput(0);
  dnnl::memory out = ctx.output(0);
  if (st.rowsMath && diff.get_desc() != out.get_desc()) {
    std::optional<RowView> rows = rowViewOf(diff.get_desc(), out.get_desc());
    TAPEFLOW_ASSERT(rows && "the plan hands over row views only");
    if (rows) {
      s.wait();
      backwardFromRows(*st.rowsMath, *rows, hostPtr(diff), hostPtr(out),
                       hostPtr(ctx.gradInput(0)));
      return;
    }
  }
  if (st.thenBwd) {
    bool dst = thenUsesDst(spec.thenAlg);
    st.thenBwd->execute(s, {{dst ? DNNL_ARG_DST : DNNL_ARG_SRC,
                             dst ? ctx.output(0) : st.mid},
                            {DNNL_ARG_DIFF_DST, diff},
                            {DNNL_ARG_DIFF_SRC, st.diffMid}});
    diff = st.diffMid;
    out = st.mid;
  }
  st.bwd->execute(s, {{st.useDst ? DNNL_ARG_DST : DNNL_ARG_SRC,
                       st.useDst ? out : ctx.input(0)},
                      {DNNL_ARG_DIFF_DST, diff},
                      {DNNL_ARG_DIFF_SRC, ctx.gradInput(0)}});
}

}  // namespace

OpDef makeEltwiseOp(std::string name, EltwiseSpec spec, std::string doc) {
  OpDef def(std::move(name));
  def.input("src").output("dst").doc(std::move(doc));
  if (spec.alphaAttr)
    def.attr(spec.alphaAttr, AttrValue::ofFloat(spec.alphaDefault),
             spec.alphaDoc);
  if (spec.betaAttr && spec.betaRequired)
    def.requiredAttr(spec.betaAttr, AttrKind::Float, spec.betaDoc);
  else if (spec.betaAttr)
    def.attr(spec.betaAttr, AttrValue::ofFloat(spec.beta), spec.betaDoc);
  if (spec.algAttr) {
    std::vector<std::string> values;
    for (const auto& choice : spec.algChoices) values.push_back(choice.first);
    def.attr(spec.algAttr, AttrValue::ofString(values.at(0)),
             "which formula to use")
        .choices(values);
  }
  def.shapes([spec](ShapeContext& ctx) { inferShapes(ctx, spec); });
  def.flops([](const ShapeContext& ctx) { return numel(ctx.inputDims(0)); });
  def.prepare([spec](PrepareContext& ctx) { prepare(ctx, spec); });
  def.forward(forward);
  def.backward([spec](GradContext& ctx) { backward(ctx, spec); });
  if (spec.fusable) {
    def.fusesAsPostOp([spec](const ShapeContext& ctx) {
      // Post-ops take the plain algorithm; backward still reads dst.
      algorithm alg = spec.alg;
      if (alg == algorithm::eltwise_relu_use_dst_for_bwd) alg = algorithm::eltwise_relu;
      if (alg == algorithm::eltwise_tanh_use_dst_for_bwd) alg = algorithm::eltwise_tanh;
      if (alg == algorithm::eltwise_logistic_use_dst_for_bwd)
        alg = algorithm::eltwise_logistic;
      if (alg == algorithm::eltwise_elu_use_dst_for_bwd) alg = algorithm::eltwise_elu;
      return std::vector<PostOpSpec>{
          {alg, alphaOf(ctx, spec), betaOf(ctx, spec), 1.f}};
    });
  }
  if (readsRows(spec)) def.readsGradRows();
  if (spec.pointwise) {
    def.pointwise([spec](const ShapeContext& ctx) {
      return std::optional<PointwiseOp>(
          PointwiseOp{*spec.pointwise, alphaOf(ctx, spec), betaOf(ctx, spec)});
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
    for (SampleCase& c : cases) {
      c.low = spec.sampleLow;
      c.high = spec.sampleHigh;
      for (const auto& [name, value] : spec.sampleAttrs) c.attrs[name] = value;
      if (spec.hasKink) {
        c.kink = spec.kink;
        c.kinkRange = 0.02f;
      }
    }
    return cases;
  });
  return def;
}

}  // namespace tapeflow::ops
