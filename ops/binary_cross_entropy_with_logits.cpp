// ops/binary_cross_entropy_with_logits.cpp - BinaryCrossEntropyWithLogits:
//   loss = mean (or sum) of -(t log s(x) + (1 - t) log(1 - s(x))),
//   s = sigmoid, computed stably as max(x, 0) - x t + log(1 + exp(-|x|))
//   d logits = (s(x) - t) * dloss (/ n if mean),  d target = -x * (same)
// Targets are f32 (probabilities in [0, 1], or soft labels). A loop: see the
// NOTE in internal/loss_common.h.
#include <algorithm>
#include <cmath>

#include "ops/internal/loss_common.h"

namespace tapeflow::ops {
namespace {

struct Bce {
  static float value(float x, float t, float) {
    return std::max(x, 0.f) - x * t + std::log1p(std::exp(-std::fabs(x)));
  }
  static float dPred(float x, float t, float) {
    float e = std::exp(-std::fabs(x));  // never overflows
    float s = x >= 0 ? 1.f / (1.f + e) : e / (1.f + e);
    return s - t;
  }
  static float dTarget(float x, float, float) { return -x; }
};

}  // namespace

const OpDef& binaryCrossEntropyWithLogitsOp() {
  static const OpDef def = makePointwiseLoss<Bce>(
      "BinaryCrossEntropyWithLogits", {.predName = "logits"},
      "binary cross entropy of sigmoid(logits) against f32 targets, "
      "computed stably from the logits");
  return def;
}

}  // namespace tapeflow::ops
