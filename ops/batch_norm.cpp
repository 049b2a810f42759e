// ops/batch_norm.cpp - BatchNorm over the channels of [N, C], [N, C, L] or
// [N, C, H, W]:
//   dst = scale * (src - mu) / sqrt(var + epsilon) + shift, per channel
//   d src, d scale, d shift: batch_normalization_backward (through mu, var)
// Inputs: src, then scale, shift (affine: 1), then running_mean,
// running_var (track_running_stats: 1); affine 0 is scale 1, shift 0.
// Training: mu, var are the batch statistics (biased variance, kept for
// backward), and the running statistics move towards them in place
// (PyTorch convention, m = N*H*W values per channel):
//   running_mean = (1 - momentum) running_mean + momentum mu
//   running_var  = (1 - momentum) running_var + momentum var * m / (m - 1)
// Inference: mu, var are running_mean, running_var (use_global_stats), or
// the batch statistics with track_running_stats 0 (as PyTorch).
// The running statistics are never trained (OpDef::stateInputs: the loader
// requires constant params).
// A Relu that reads nothing but dst folds in (OpDef::foldsRelu, the plan
// decides): dst = max(bn(src), 0) with fuse_norm_relu, whose training
// forward keeps a bit mask (workspace) from which backward masks d dst.
// NOTE: oneDNN takes [N, C] directly (the same kernels as [N, C, 1, 1]).
#include <cmath>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <sstream>

#include "ops/op_kit.h"

namespace tapeflow::ops {
namespace {

struct BatchNormState {
  dnnl::batch_normalization_forward fwd;
  std::optional<dnnl::batch_normalization_backward> bwd;
  dnnl::memory mean, variance;                 ///< batch statistics (training)
  dnnl::memory sinkSrc, sinkScale, sinkShift;  ///< gradients nobody needs
  dnnl::memory workspace;  ///< Relu mask (folded Relu, forward_training)
  bool batchStats = false;  ///< normalise with the batch statistics
  bool update = false;      ///< move the running statistics (training)
  int scaleAt = 1, meanAt = 3;  ///< input indices; -1: absent
  float momentum = 0.1f;
  float unbias = 1.f;  ///< m / (m - 1)
  int64_t channels = 0;
};

std::string str(float v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

/// Input indices of scale (then shift) and running_mean (then running_var)
/// for the node's attributes; -1 when absent.
std::pair<int, int> layout(bool affine, bool track) {
  return {affine ? 1 : -1, track ? (affine ? 3 : 1) : -1};
}

void inferShapes(ShapeContext& ctx) {
  const Dims& src = ctx.inputDims(0);
  if (ctx.inputRank(0) < 2 || ctx.inputRank(0) > 4)
    ctx.fail(ctx.describeInput(0) +
             " must have rank 2 ([N, C]), 3 ([N, C, L]) or 4 ([N, C, H, W]), "
             "found rank " + std::to_string(ctx.inputRank(0)));
  for (const char* flag : {"affine", "track_running_stats"})
    if (ctx.attrInt(flag) != 0 && ctx.attrInt(flag) != 1)
      ctx.failAttr(flag, "must be 0 or 1, found " +
                             std::to_string(ctx.attrInt(flag)));
  const bool affine = ctx.attrInt("affine") != 0;
  const bool track = ctx.attrInt("track_running_stats") != 0;
  const int want = 1 + (affine ? 2 : 0) + (track ? 2 : 0);
  if (ctx.numInputs() != want)
    ctx.fail("expected " + std::to_string(want) + " inputs (src" +
             (affine ? ", scale, shift" : "") +
             (track ? ", running_mean, running_var" : "") + ") with affine " +
             std::to_string(affine) + " and track_running_stats " +
             std::to_string(track) + ", found " +
             std::to_string(ctx.numInputs()));
  const char* names[] = {"scale", "shift", "running_mean", "running_var"};
  for (int i = 1; i < want; ++i)
    if (ctx.inputDims(i) != Dims{src[1]})
      ctx.fail(std::string("input '") + names[i - 1 + (affine ? 0 : 2)] +
               "' " + dimsStr(ctx.inputDims(i)) + " must be [" +
               std::to_string(src[1]) + "] (one value per channel of src " +
               dimsStr(src) + ")");
  float eps = ctx.attrFloat("epsilon");
  if (!(eps > 0.f) || !std::isfinite(eps))
    ctx.failAttr("epsilon", "must be positive and finite, found " + str(eps));
  float momentum = ctx.attrFloat("momentum");
  if (!(momentum >= 0.f && momentum <= 1.f))
    ctx.failAttr("momentum", "must be in [0, 1], found " + str(momentum));
  ctx.setOutput(0, src);
}

void prepare(PrepareContext& ctx) {
  auto& st = ctx.makeState<BatchNormState>();
  std::tie(st.scaleAt, st.meanAt) =
      layout(ctx.attrInt("affine") != 0, ctx.attrInt("track_running_stats") != 0);
  const Dims& dims = ctx.inputDims(0);
  st.channels = dims[1];
  const int64_t perChannel = numel(dims) / dims[1];
  st.batchStats = ctx.training() || st.meanAt < 0;
  st.update = ctx.training() && st.meanAt >= 0;
  if (st.batchStats && perChannel < 2)
    ctx.fail(
        "batch statistics need more than one value per channel to estimate "
        "the variance, found src " +
        dimsStr(dims));
  st.unbias = float(double(perChannel) / double(perChannel - 1));
  st.momentum = ctx.attrFloat("momentum");
  const float eps = ctx.attrFloat("epsilon");

  auto flags = dnnl::normalization_flags::none;
  if (st.scaleAt >= 0)
    flags = dnnl::normalization_flags::use_scale |
            dnnl::normalization_flags::use_shift;
  if (!st.batchStats) flags |= dnnl::normalization_flags::use_global_stats;
  if (ctx.hasPostOps()) flags |= dnnl::normalization_flags::fuse_norm_relu;
  const dnnl::memory::desc& srcMd = ctx.inputDesc(0);  // keep its layout
  dnnl::batch_normalization_forward::primitive_desc fwdPd(
      {st.batchStats ? prop_kind::forward_training
                     : prop_kind::forward_inference,
       srcMd, eps, flags},
      ctx.engine());
  st.fwd = dnnl::batch_normalization_forward(fwdPd);
  ctx.noteImpl("fwd", fwdPd.impl_info_str());
  ctx.setOutputDesc(0, fwdPd.dst_desc());
  if (st.batchStats) {
    st.mean = ctx.scratch(fwdPd.mean_desc());
    st.variance = ctx.scratch(fwdPd.variance_desc());
  }
  if (fwdPd.workspace_desc().get_size() > 0)
    st.workspace = ctx.scratch(fwdPd.workspace_desc());
  if (!ctx.runsBackward()) return;

  dnnl::batch_normalization_backward::primitive_desc bwdPd(
      {st.scaleAt >= 0 ? prop_kind::backward : prop_kind::backward_data,
       ctx.outputDesc(0), srcMd, eps, flags},
      ctx.engine(), fwdPd);
  st.bwd = dnnl::batch_normalization_backward(bwdPd);
  ctx.noteImpl("bwd", bwdPd.impl_info_str());
  // prop_kind::backward writes all three gradients; unneeded ones go to sinks.
  if (!ctx.needsGrad(0))
    st.sinkSrc = ctx.scratch(bwdPd.diff_src_desc());
  else if (bwdPd.diff_src_desc() != srcMd)
    ctx.setGradInputDesc(0, bwdPd.diff_src_desc());
  if (st.scaleAt < 0) return;
  const dnnl::memory::desc perC = plainDesc({st.channels});
  if (!ctx.needsGrad(st.scaleAt)) st.sinkScale = ctx.scratch(perC);
  if (!ctx.needsGrad(st.scaleAt + 1)) st.sinkShift = ctx.scratch(perC);
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<BatchNormState>();
  dnnl::stream& s = ctx.stream();
  std::unordered_map<int, dnnl::memory> args = {
      {DNNL_ARG_SRC, ctx.input(0)}, {DNNL_ARG_DST, ctx.output(0)}};
  if (st.scaleAt >= 0) {
    args[DNNL_ARG_SCALE] = ctx.input(st.scaleAt);
    args[DNNL_ARG_SHIFT] = ctx.input(st.scaleAt + 1);
  }
  args[DNNL_ARG_MEAN] = st.batchStats ? st.mean : ctx.input(st.meanAt);
  args[DNNL_ARG_VARIANCE] =
      st.batchStats ? st.variance : ctx.input(st.meanAt + 1);
  if (st.workspace) args[DNNL_ARG_WORKSPACE] = st.workspace;
  st.fwd.execute(s, args);
  if (!st.update) return;
  s.wait();
  // NOTE: oneDNN has no running-average update; one loop over C, in place
  // on the (constant) parameter buffers.
  float* runMean = data(ctx.input(st.meanAt));
  float* runVar = data(ctx.input(st.meanAt + 1));
  const float* mean = data(st.mean);
  const float* var = data(st.variance);
  const float m = st.momentum;
  for (int64_t c = 0; c < st.channels; ++c) {
    runMean[c] = (1.f - m) * runMean[c] + m * mean[c];
    runVar[c] = (1.f - m) * runVar[c] + m * var[c] * st.unbias;
  }
}

void backward(GradContext& ctx) {
  auto& st = ctx.state<BatchNormState>();
  auto pick = [&](int i, dnnl::memory& sink) -> dnnl::memory& {
    return ctx.needsGrad(i) ? ctx.gradInput(i) : sink;
  };
  std::unordered_map<int, dnnl::memory> args = {
      {DNNL_ARG_SRC, ctx.input(0)},
      {DNNL_ARG_DIFF_DST, ctx.gradOutput(0)},
      {DNNL_ARG_MEAN, st.mean},
      {DNNL_ARG_VARIANCE, st.variance},
      {DNNL_ARG_DIFF_SRC, pick(0, st.sinkSrc)}};
  if (st.workspace) args[DNNL_ARG_WORKSPACE] = st.workspace;
  if (st.scaleAt >= 0) {
    args[DNNL_ARG_SCALE] = ctx.input(st.scaleAt);
    // unused, but oneDNN 2.6.3 fails to execute without it
    args[DNNL_ARG_SHIFT] = ctx.input(st.scaleAt + 1);
    args[DNNL_ARG_DIFF_SCALE] = pick(st.scaleAt, st.sinkScale);
    args[DNNL_ARG_DIFF_SHIFT] = pick(st.scaleAt + 1, st.sinkShift);
  }
  st.bwd->execute(ctx.stream(), args);
}

}  // namespace

const OpDef& batchNormOp() {
  static const OpDef def = [] {
    OpDef d("BatchNorm");
    // NOTE: which inputs are present follows affine and track_running_stats
    // (checked by inferShapes); the running statistics are never trained.
    d.input("src")
        .optionalInput("scale")
        .optionalInput("shift")
        .optionalInput("running_mean")
        .optionalInput("running_var")
        .output("dst")
        .attr("epsilon", AttrValue::ofFloat(1e-5f),
              "added to the variance before the square root")
        .attr("momentum", AttrValue::ofFloat(0.1f),
              "weight of the batch statistics in the running averages")
        .attr("affine", AttrValue::ofInt(1),
              "1: inputs scale and shift follow src; 0: none")
        .attr("track_running_stats", AttrValue::ofInt(1),
              "1: running_mean, running_var inputs (used in inference); 0: "
              "batch statistics in inference too")
        .stateInputs([](const std::map<std::string, AttrValue>& attrs, int) {
          int at = layout(attrs.at("affine").i != 0,
                          attrs.at("track_running_stats").i != 0)
                       .second;
          return at < 0 ? std::vector<int>{} : std::vector<int>{at, at + 1};
        })
        .doc("batch normalisation over the channel axis (axis 1)")
        .foldsRelu()
        .shapes(inferShapes)
        .prepare(prepare)
        .forward(forward)
        .backward(backward)
        // mean, variance and a folded Relu's mask are the op's own buffers
        .backwardReads({"src", "scale", "shift"})
        .flops([](const ShapeContext& ctx) {
          // mean, variance, then one multiply-add per element
          return 5 * numel(ctx.inputDims(0));
        })
        .samples([] {
          SampleCase a;
          a.label = "4x3x2x2";
          a.inputs = {{4, 3, 2, 2}, {3}, {3}, {3}, {3}};
          SampleCase b;
          b.label = "5x13";  // 13: not a multiple of 8
          b.inputs = {{5, 13}, {13}, {13}, {13}, {13}};
          SampleCase c;
          c.label = "3x5x4_no_affine";
          c.attrs = {{"affine", AttrValue::ofInt(0)}};
          c.inputs = {{3, 5, 4}, {5}, {5}};
          SampleCase e;
          e.label = "4x6x3_batch_stats_only";
          e.attrs = {{"track_running_stats", AttrValue::ofInt(0)}};
          e.inputs = {{4, 6, 3}, {6}, {6}};
          // NOTE: every F32 input is drawn from [low, high), and running_var
          // must be positive for the inference run; a wide range also keeps
          // the batch variance of 5 values away from 0 (finite differences).
          for (SampleCase* k : {&a, &b, &c, &e}) {
            k->low = 0.25f;
            k->high = 4.f;
          }
          return std::vector<SampleCase>{a, b, c, e};
        });
    return d;
  }();
  return def;
}

}  // namespace tapeflow::ops
