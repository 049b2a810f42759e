// ops/internal/loss_common.h - the shared body of the pointwise losses
// (HuberLoss, L1Loss, BinaryCrossEntropyWithLogits): inputs pred and target
// of the same shape, a scalar loss = mean (or sum) over every element of
// f(pred, target), and the `reduction` attribute every loss has.
// NOTE: oneDNN has no loss primitive; composing one from eltwise, binary and
// reduction primitives takes 3 to 5 passes and as many temporaries. The
// per-element math is a function in the op's own file and the loops below
// are instantiated there (inlined, the gradient loop vectorises); inputs
// arriving blocked are reordered to plain once.
#pragma once

#include <string>

#include "ops/op_kit.h"

namespace tapeflow::ops {

/// Class labels of the classification losses (SoftmaxCrossEntropy,
/// NLLLoss): prepare keeps the node's name and location, forward checks each
/// row's label while it reads it (one compare per row).
class LabelCheck {
 public:
  LabelCheck() = default;
  LabelCheck(const NodeView& node, int64_t classes);
  bool valid(int32_t label) const { return label >= 0 && label < classes_; }
  /// Throws DataError at the node: "row R has label L, expected a class in
  /// [0, C) (C classes)".
  [[noreturn]] void fail(int64_t row, int32_t label) const;

 private:
  SourceLoc loc_;
  std::string node_, op_;
  int64_t classes_ = 0;
};

/// Declares `reduction` ("mean", the default, or "sum").
void addReductionAttr(OpDef& def);

struct PointwiseLossSpec {
  const char* predName = "pred";
  const char* paramAttr = nullptr;  ///< a positive Float attribute, if any
  float paramDefault = 0.f;
  const char* paramDoc = "";
  float sampleLow = -1.f, sampleHigh = 1.f;
  float sampleStep = 1e-2f;  ///< finite-difference step of the samples
};

struct PointwiseLossState {
  Relayout predPlain, targetPlain;
  dnnl::memory pred, target;  ///< plain, from the last forward
  int64_t n = 0;
  bool mean = true;
  float param = 0.f;
};

/// Everything but the math: ports, attributes, shapes, prepare, samples.
OpDef pointwiseLossDef(std::string name, const PointwiseLossSpec& spec,
                       std::string doc);
/// Brings both inputs to plain (forward) and returns the state.
PointwiseLossState& bindPlain(ExecContext& ctx);

/// Math: static float value(p, t, param), dPred(p, t, param) and
/// dTarget(p, t, param).
template <class Math>
OpDef makePointwiseLoss(std::string name, const PointwiseLossSpec& spec,
                        std::string doc) {
  OpDef def = pointwiseLossDef(std::move(name), spec, std::move(doc));
  def.forward([](ExecContext& ctx) {
    PointwiseLossState& st = bindPlain(ctx);
    const float* p = data(st.pred);
    const float* t = data(st.target);
    double sum = 0;
    for (int64_t i = 0; i < st.n; ++i) sum += Math::value(p[i], t[i], st.param);
    *data(ctx.output(0)) = float(st.mean ? sum / double(st.n) : sum);
  });
  def.backward([](GradContext& ctx) {
    auto& st = ctx.state<PointwiseLossState>();
    const float g = *data(ctx.gradOutput(0)) / (st.mean ? float(st.n) : 1.f);
    const float* p = data(st.pred);
    const float* t = data(st.target);
    const float k = st.param;
    if (ctx.needsGrad(0)) {
      float* d = data(ctx.gradInput(0));
      for (int64_t i = 0; i < st.n; ++i) d[i] = g * Math::dPred(p[i], t[i], k);
    }
    if (ctx.needsGrad(1)) {
      float* d = data(ctx.gradInput(1));
      for (int64_t i = 0; i < st.n; ++i)
        d[i] = g * Math::dTarget(p[i], t[i], k);
    }
  });
  return def;
}

}  // namespace tapeflow::ops
