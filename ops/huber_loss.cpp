// ops/huber_loss.cpp - HuberLoss: loss = mean (or sum) of h(pred - target),
//   h(d) = |d| <= delta ? d^2 / 2 : delta (|d| - delta / 2)
//   d pred = clamp(d, -delta, delta) * dloss (/ n if mean),  d target = -d pred
// (PyTorch's HuberLoss.) A loop: see the NOTE in internal/loss_common.h.
#include <algorithm>
#include <cmath>

#include "ops/internal/loss_common.h"

namespace tapeflow::ops {
namespace {

struct Huber {
  static float value(float p, float t, float delta) {
    float d = std::fabs(p - t);
    return d <= delta ? 0.5f * d * d : delta * (d - 0.5f * delta);
  }
  static float dPred(float p, float t, float delta) {
    return std::clamp(p - t, -delta, delta);
  }
  static float dTarget(float p, float t, float delta) {
    return -dPred(p, t, delta);
  }
};

}  // namespace

const OpDef& huberLossOp() {
  static const OpDef def = makePointwiseLoss<Huber>(
      "HuberLoss",
      {.paramAttr = "delta", .paramDefault = 1.f,
       .paramDoc = "where the loss turns from quadratic to linear (> 0)",
       .sampleLow = -2.f, .sampleHigh = 2.f},
      "Huber loss of pred against target: quadratic within delta, linear "
      "beyond");
  return def;
}

}  // namespace tapeflow::ops
