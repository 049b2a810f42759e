// ops/l1_loss.cpp - L1Loss: loss = mean (or sum) of |pred - target|
//   d pred = sign(pred - target) * dloss (/ n if mean),  d target = -d pred
//   (subgradient 0 where pred == target)
// A loop: see the NOTE in internal/loss_common.h. The samples use a finite-
// difference step of 1e-3, so few elements sit within a step of the kink.
#include "ops/internal/loss_common.h"

namespace tapeflow::ops {
namespace {

struct L1 {
  static float value(float p, float t, float) { return p > t ? p - t : t - p; }
  static float dPred(float p, float t, float) {
    return p > t ? 1.f : (p < t ? -1.f : 0.f);
  }
  static float dTarget(float p, float t, float k) { return -dPred(p, t, k); }
};

}  // namespace

const OpDef& l1LossOp() {
  static const OpDef def = makePointwiseLoss<L1>(
      "L1Loss", {.sampleStep = 1e-3f},
      "mean absolute difference of pred and target");
  return def;
}

}  // namespace tapeflow::ops
