// ops/batch_norm.cpp - BatchNorm over the channels of [N, C, H, W] or [N, C]:
//   dst = scale * (src - mu) / sqrt(var + epsilon) + shift, per channel
//   d src, d scale, d shift: batch_normalization_backward (through mu, var)
// Training: mu, var are the batch statistics (biased variance, kept for
// backward), and the running statistics move towards them in place
// (PyTorch convention, m = N*H*W values per channel):
//   running_mean = (1 - momentum) running_mean + momentum mu
//   running_var  = (1 - momentum) running_var + momentum var * m / (m - 1)
// Inference: mu, var are running_mean, running_var (use_global_stats).
// NOTE: oneDNN takes [N, C] directly (the same kernels as [N, C, 1, 1]).
#include <cmath>
#include <optional>
#include <sstream>

#include "ops/op_kit.h"

namespace tapeflow::ops {
namespace {

struct BatchNormState {
  dnnl::batch_normalization_forward fwd;
  std::optional<dnnl::batch_normalization_backward> bwd;
  dnnl::memory mean, variance;                 ///< batch statistics (training)
  dnnl::memory sinkSrc, sinkScale, sinkShift;  ///< gradients nobody needs
  bool training = false;
  float momentum = 0.1f;
  float unbias = 1.f;  ///< m / (m - 1)
  int64_t channels = 0;
};

std::string str(float v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

void inferShapes(ShapeContext& ctx) {
  const Dims& src = ctx.inputDims(0);
  if (ctx.inputRank(0) != 2 && ctx.inputRank(0) != 4)
    ctx.fail(ctx.describeInput(0) +
             " must have rank 2 ([N, C]) or 4 ([N, C, H, W]), found rank " +
             std::to_string(ctx.inputRank(0)));
  for (int i = 1; i < 5; ++i)
    if (ctx.inputDims(i) != Dims{src[1]})
      ctx.fail(ctx.describeInput(i) + " must be [" + std::to_string(src[1]) +
               "] (one value per channel of src " + dimsStr(src) + ")");
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
  const Dims& dims = ctx.inputDims(0);
  st.channels = dims[1];
  const int64_t perChannel = numel(dims) / dims[1];
  st.training = ctx.training();
  if (st.training && perChannel < 2)
    ctx.fail(
        "training needs more than one value per channel to estimate "
        "the variance, found src " +
        dimsStr(dims));
  st.unbias = float(double(perChannel) / double(perChannel - 1));
  st.momentum = ctx.attrFloat("momentum");
  const float eps = ctx.attrFloat("epsilon");

  auto flags = dnnl::normalization_flags::use_scale |
               dnnl::normalization_flags::use_shift;
  if (!st.training) flags |= dnnl::normalization_flags::use_global_stats;
  const dnnl::memory::desc& srcMd = ctx.inputDesc(0);  // keep its layout
  dnnl::batch_normalization_forward::primitive_desc fwdPd(
      {forwardKind(ctx), srcMd, eps, flags}, ctx.engine());
  st.fwd = dnnl::batch_normalization_forward(fwdPd);
  ctx.noteImpl("fwd", fwdPd.impl_info_str());
  ctx.setOutputDesc(0, fwdPd.dst_desc());
  if (st.training) {
    st.mean = ctx.scratch(fwdPd.mean_desc());
    st.variance = ctx.scratch(fwdPd.variance_desc());
  }
  if (!ctx.runsBackward()) return;

  dnnl::batch_normalization_backward::primitive_desc bwdPd(
      {prop_kind::backward, ctx.outputDesc(0), srcMd, eps, flags}, ctx.engine(),
      fwdPd);
  st.bwd = dnnl::batch_normalization_backward(bwdPd);
  ctx.noteImpl("bwd", bwdPd.impl_info_str());
  // prop_kind::backward writes all three gradients; unneeded ones go to sinks.
  if (!ctx.needsGrad(0))
    st.sinkSrc = ctx.scratch(bwdPd.diff_src_desc());
  else if (bwdPd.diff_src_desc() != srcMd)
    ctx.setGradInputDesc(0, bwdPd.diff_src_desc());
  const dnnl::memory::desc perC = plainDesc({st.channels});
  if (!ctx.needsGrad(1)) st.sinkScale = ctx.scratch(perC);
  if (!ctx.needsGrad(2)) st.sinkShift = ctx.scratch(perC);
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<BatchNormState>();
  dnnl::stream& s = ctx.stream();
  if (!st.training) {
    st.fwd.execute(s, {{DNNL_ARG_SRC, ctx.input(0)},
                       {DNNL_ARG_SCALE, ctx.input(1)},
                       {DNNL_ARG_SHIFT, ctx.input(2)},
                       {DNNL_ARG_MEAN, ctx.input(3)},
                       {DNNL_ARG_VARIANCE, ctx.input(4)},
                       {DNNL_ARG_DST, ctx.output(0)}});
    return;
  }
  st.fwd.execute(s, {{DNNL_ARG_SRC, ctx.input(0)},
                     {DNNL_ARG_SCALE, ctx.input(1)},
                     {DNNL_ARG_SHIFT, ctx.input(2)},
                     {DNNL_ARG_MEAN, st.mean},
                     {DNNL_ARG_VARIANCE, st.variance},
                     {DNNL_ARG_DST, ctx.output(0)}});
  s.wait();
  // NOTE: oneDNN has no running-average update; one loop over C, in place
  // on the (constant) parameter buffers.
  float* runMean = data(ctx.input(3));
  float* runVar = data(ctx.input(4));
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
  st.bwd->execute(ctx.stream(),
                  {{DNNL_ARG_SRC, ctx.input(0)},
                   {DNNL_ARG_DIFF_DST, ctx.gradOutput(0)},
                   {DNNL_ARG_MEAN, st.mean},
                   {DNNL_ARG_VARIANCE, st.variance},
                   {DNNL_ARG_SCALE, ctx.input(1)},
                   // unused, but oneDNN 2.6.3 fails to execute without it
                   {DNNL_ARG_SHIFT, ctx.input(2)},
                   {DNNL_ARG_DIFF_SRC, pick(0, st.sinkSrc)},
                   {DNNL_ARG_DIFF_SCALE, pick(1, st.sinkScale)},
                   {DNNL_ARG_DIFF_SHIFT, pick(2, st.sinkShift)}});
}

}  // namespace

const OpDef& batchNormOp() {
  static const OpDef def = [] {
    OpDef d("BatchNorm");
    d.input("src")
        .input("scale")
        .input("shift")
        .constInput("running_mean")
        .constInput("running_var")
        .output("dst")
        .attr("epsilon", AttrValue::ofFloat(1e-5f),
              "added to the variance before the square root")
        .attr("momentum", AttrValue::ofFloat(0.1f),
              "weight of the batch statistics in the running averages")
        .doc("batch normalisation over the channel axis (axis 1)")
        .shapes(inferShapes)
        .prepare(prepare)
        .forward(forward)
        .backward(backward)
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
          // NOTE: every F32 input is drawn from [low, high), and running_var
          // must be positive for the inference run; a wide range also keeps
          // the batch variance of 5 values away from 0 (finite differences).
          for (SampleCase* c : {&a, &b}) {
            c->low = 0.25f;
            c->high = 4.f;
          }
          return std::vector<SampleCase>{a, b};
        });
    return d;
  }();
  return def;
}

}  // namespace tapeflow::ops
