// ops/internal/resample_common.cpp - Upsample and Resize on oneDNN
// resampling (nearest, linear), forward and backward.
#include "ops/internal/resample_common.h"

#include <cmath>
#include <optional>

#include "ops/internal/axes.h"

namespace tapeflow::ops {
namespace {

struct ResampleState {
  dnnl::resampling_forward fwd;
  std::optional<dnnl::resampling_backward> bwd;
  Relayout diffDstIn, diffSrcOut;
};

std::string num(double v) {
  std::string s = std::to_string(v);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

algorithm algorithmOf(const NodeView& ctx) {
  return ctx.attrString("mode") == "nearest" ? algorithm::resampling_nearest
                                             : algorithm::resampling_linear;
}

void inferShapes(ShapeContext& ctx) { ctx.setOutput(0, resampleDims(ctx)); }

void prepare(PrepareContext& ctx) {
  auto& st = ctx.makeState<ResampleState>();
  const algorithm alg = algorithmOf(ctx);
  const dnnl::memory::desc& srcMd = ctx.inputDesc(0);  // keep its layout
  dnnl::resampling_forward::primitive_desc fwdPd(
      {forwardKind(ctx), alg, srcMd, anyDesc(ctx.outputDims(0))},
      ctx.engine());
  ctx.noteImpl("fwd", fwdPd.impl_info_str());
  st.fwd = dnnl::resampling_forward(fwdPd);
  ctx.setOutputDesc(0, fwdPd.dst_desc());
  if (!ctx.needsGrad(0)) return;
  dnnl::resampling_backward::primitive_desc bwdPd(
      {alg, anyDesc(ctx.inputDims(0)), anyDesc(ctx.outputDims(0))},
      ctx.engine(), fwdPd);
  ctx.noteImpl("bwd", bwdPd.impl_info_str());
  st.bwd = dnnl::resampling_backward(bwdPd);
  st.diffDstIn = Relayout(ctx, ctx.outputDesc(0), bwdPd.diff_dst_desc());
  st.diffSrcOut =
      Relayout(ctx, bwdPd.diff_src_desc(), srcMd, Relayout::Out);
}

void forward(ExecContext& ctx) {
  ctx.state<ResampleState>().fwd.execute(
      ctx.stream(), {{DNNL_ARG_SRC, ctx.input(0)}, {DNNL_ARG_DST, ctx.output(0)}});
}

void backward(GradContext& ctx) {
  if (!ctx.needsGrad(0)) return;
  auto& st = ctx.state<ResampleState>();
  dnnl::stream& s = ctx.stream();
  st.bwd->execute(s, {{DNNL_ARG_DIFF_DST, st.diffDstIn(s, ctx.gradOutput(0))},
                      {DNNL_ARG_DIFF_SRC, st.diffSrcOut.target(ctx.gradInput(0))}});
  st.diffSrcOut.finish(s, ctx.gradInput(0));
}

}  // namespace

Dims resampleDims(const NodeView& ctx) {
  const Dims& in = ctx.inputDims(0);
  const int64_t rank = ctx.inputRank(0);
  if (rank < 3 || rank > 5)
    ctx.fail(ctx.describeInput(0) +
             " must have rank 3, 4 or 5 ([N, C, spatial...]), found rank " +
             std::to_string(rank));
  const bool bySizes = ctx.def().findAttr("sizes") && ctx.attrGiven("sizes");
  if (bySizes && ctx.attrGiven("scales"))
    ctx.failAttr("sizes", "give either 'scales' or 'sizes', not both");
  const char* attr = bySizes ? "sizes" : "scales";
  const size_t given = bySizes ? ctx.attrInts("sizes").size()
                               : ctx.attrFloats("scales").size();
  if (given != size_t(rank) && given != size_t(rank - 2))
    ctx.failAttr(attr, "must have " + std::to_string(rank) + " values (one per "
                       "dim of " + ctx.describeInput(0) + ") or " +
                       std::to_string(rank - 2) + " (one per spatial dim), "
                       "found " + std::to_string(given));
  const size_t skip = given == size_t(rank) ? 2 : 0;
  Dims out = in;
  for (size_t k = 0; k < skip; ++k) {
    bool same = bySizes ? ctx.attrInts("sizes")[k] == in[k]
                        : ctx.attrFloats("scales")[k] == 1.f;
    if (!same)
      ctx.failAttr(attr, "must leave the batch and channel dims unchanged");
  }
  for (size_t k = 2; k < size_t(rank); ++k) {
    const size_t at = k - 2 + skip;
    if (bySizes) {
      out[k] = ctx.attrInts("sizes")[at];
    } else {
      const double scale = ctx.attrFloats("scales")[at];
      const double exact = double(in[k]) * scale;
      out[k] = int64_t(std::floor(exact + 1e-6));
      if (!(scale > 0) || std::fabs(exact - double(out[k])) > 1e-4)
        ctx.failAttr(attr, "scale " + num(scale) + " of dim " +
                               std::to_string(k) + " (size " +
                               std::to_string(in[k]) + ") gives " + num(exact) +
                               "; scales must give whole sizes (or use "
                               "'sizes')");
    }
    if (out[k] < 1)
      ctx.failAttr(attr, "output dim " + std::to_string(k) + " is " +
                             std::to_string(out[k]) + ", expected >= 1");
  }
  const std::string& mode = ctx.attrString("mode");
  const std::string coord = ctx.def().findAttr("coordinate_transformation_mode")
                                ? ctx.attrString("coordinate_transformation_mode")
                                : "half_pixel";
  const bool nearest = mode == "nearest";
  if (nearest ? coord != "half_pixel" && coord != "asymmetric"
              : coord != "half_pixel")
    ctx.failAttr("coordinate_transformation_mode",
                 "'" + coord + "' is not supported with mode '" + mode +
                     "'; supported: " +
                     (nearest ? "'half_pixel', 'asymmetric'" : "'half_pixel'") +
                     " (what oneDNN resampling computes)");
  if (nearest)
    for (size_t k = 2; k < size_t(rank); ++k)
      if (out[k] % in[k] != 0)
        ctx.failAttr(attr, "mode 'nearest' needs whole upscaling factors; " +
                               std::string("output size ") +
                               std::to_string(out[k]) + " of dim " +
                               std::to_string(k) + " is not a multiple of " +
                               std::to_string(in[k]));
  return out;
}

OpDef& withResamplePhases(OpDef& def) {
  return def.shapes(inferShapes)
      .prepare(prepare)
      .forward(forward)
      .backward(backward)
      .flops([](const ShapeContext& ctx) {
        const int64_t per = ctx.attrString("mode") == "nearest" ? 0 : 8;
        return per * numel(ctx.outputDims(0));
      });
}

}  // namespace tapeflow::ops
