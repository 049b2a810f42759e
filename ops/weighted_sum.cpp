// ops/weighted_sum.cpp - WeightedSum: dst = sum_i weights[i] * src_i
//   d src_i = weights[i] * d dst
// Inputs of equal dims. Forward is one oneDNN sum primitive with the weights
// as its scales; each needed input gradient is one eltwise_linear (alpha
// weights[i], beta 0) of d dst. A graph that declares several losses
// (`loss:` repeated, `loss_weight:`) gets one such node, its objective.
#include <cmath>
#include <unordered_map>

#include "ops/op_kit.h"

namespace tapeflow::ops {
namespace {

struct WeightedSumState {
  std::optional<dnnl::sum> fwd;
  std::vector<std::optional<dnnl::eltwise_forward>> bwd;  ///< per input
};

/// The weight of every input: the attribute, or 1 each when it is empty.
std::vector<float> weightsOf(const NodeView& ctx) {
  std::vector<float> w = ctx.attrFloats("weights");
  if (w.empty()) w.assign(size_t(ctx.numInputs()), 1.f);
  return w;
}

void inferShapes(ShapeContext& ctx) {
  const std::vector<float>& w = ctx.attrFloats("weights");
  if (!w.empty() && int(w.size()) != ctx.numInputs())
    ctx.failAttr("weights", "has " + std::to_string(w.size()) +
                                " values for " + std::to_string(ctx.numInputs()) +
                                " inputs; give one per input (or none: all 1)");
  for (size_t i = 0; i < w.size(); ++i)
    if (!std::isfinite(w[i]))
      ctx.failAttr("weights", "weights[" + std::to_string(i) + "] is not finite");
  for (int i = 1; i < ctx.numInputs(); ++i)
    if (ctx.inputDims(i) != ctx.inputDims(0))
      ctx.fail("input " + std::to_string(i) + " " + dimsStr(ctx.inputDims(i)) +
               " differs from input 0 " + dimsStr(ctx.inputDims(0)) +
               "; every input must have the same dims");
  ctx.setOutput(0, ctx.inputDims(0));
}

void prepare(PrepareContext& ctx) {
  auto& st = ctx.makeState<WeightedSumState>();
  const std::vector<float> w = weightsOf(ctx);
  const dnnl::memory::desc& dstMd = ctx.outputDesc(0);  // plain
  std::vector<dnnl::memory::desc> srcMds;
  for (int i = 0; i < ctx.numInputs(); ++i) srcMds.push_back(ctx.inputDesc(i));
  dnnl::sum::primitive_desc fwdPd(dstMd, w, srcMds, ctx.engine());
  ctx.noteImpl("fwd", fwdPd.impl_info_str());
  st.fwd = dnnl::sum(fwdPd);
  st.bwd.resize(size_t(ctx.numInputs()));
  for (int i = 0; i < ctx.numInputs(); ++i) {
    if (!ctx.needsGrad(i)) continue;
    ctx.setGradInputDesc(i, dstMd);  // the engine converts to src_i's layout
    dnnl::eltwise_forward::primitive_desc pd(
        {prop_kind::forward_inference, algorithm::eltwise_linear, dstMd, w[size_t(i)], 0.f},
        ctx.engine());
    ctx.noteImpl("bwd" + std::to_string(i), pd.impl_info_str());
    st.bwd[size_t(i)] = dnnl::eltwise_forward(pd);
  }
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<WeightedSumState>();
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_DST, ctx.output(0)}};
  for (int i = 0; i < ctx.numInputs(); ++i) args.insert({DNNL_ARG_MULTIPLE_SRC + i, ctx.input(i)});
  st.fwd->execute(ctx.stream(), args);
}

void backward(GradContext& ctx) {
  auto& st = ctx.state<WeightedSumState>();
  for (int i = 0; i < ctx.numInputs(); ++i)
    if (ctx.needsGrad(i))
      st.bwd[size_t(i)]->execute(ctx.stream(), {{DNNL_ARG_SRC, ctx.gradOutput(0)},
                                                {DNNL_ARG_DST, ctx.gradInput(i)}});
}

}  // namespace

const OpDef& weightedSumOp() {
  static const OpDef def = [] {
    OpDef d("WeightedSum");
    d.input("src").variadic(1).output("dst").doc(
        "sum of equal-dims inputs, each times its weight (the objective of "
        "several losses)");
    d.attr("weights", AttrValue::ofFloats({}), "one per input; empty: all 1");
    d.shapes(inferShapes).prepare(prepare).forward(forward).backward(backward);
    d.flops([](const ShapeContext& ctx) {
      return 2 * int64_t(ctx.numInputs()) * numel(ctx.outputDims(0));
    });
    d.samples([] {
      SampleCase a;
      a.label = "scalars_1_0.5";
      a.attrs = {{"weights", AttrValue::ofFloats({1.f, 0.5f})}};
      a.inputs = {{}, {}};
      SampleCase b;
      b.label = "2x3x5x5_three_inputs_default_weights";
      b.inputs = {{2, 3, 5, 5}, {2, 3, 5, 5}, {2, 3, 5, 5}};
      SampleCase c;
      c.label = "4x13_weights_2_-3";
      c.attrs = {{"weights", AttrValue::ofFloats({2.f, -3.f})}};
      c.inputs = {{4, 13}, {4, 13}};
      return std::vector<SampleCase>{a, b, c};
    });
    return d;
  }();
  return def;
}

}  // namespace tapeflow::ops
