// train/optimizer.h - parameter updates from gradients: SGD (with
// momentum, Nesterov), Adam and AdamW, with PyTorch's semantics, plus
// gradient clipping by global norm.
//
// For every trainable param p with gradient g (constants are never touched):
//   sgd:   g' = g + wd*p;  buf = momentum*buf + g';
//          p -= lr * (nesterov ? g' + momentum*buf : buf)   (momentum 0: g')
//   adam:  g' = g + wd*p;  m = lerp(m, g', 1-beta1);
//          v = beta2*v + (1-beta2)*g'^2
//          p -= lr/(1-beta1^t) * m / (sqrt(v)/sqrt(1-beta2^t) + eps)
//   adamw: p *= 1 - lr*wd, then adam with g' = g
// where t is the step count after the increment (1 on the first update).
// The buffers start at zero, so the first momentum buffer equals g', as in
// PyTorch. Gradient buffers are read, never modified (except by
// clipGradNorm).
//
// The update is one vectorised, threaded pass over the store's parameter
// arena (core/param_store.h), with the optimizer state in arenas of the same
// layout; clipping by global norm is folded into that pass as a scale of the
// gradient (clipCoefficient), weight decay too.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/param_store.h"
#include "train/solver.h"

namespace tapeflow {

class Optimizer {
 public:
  /// The optimizer named by c.optimizer over every trainable param of
  /// `params` (which must outlive it). Throws UsageError for an unknown
  /// optimizer name (solver files and flags are checked before this).
  static std::unique_ptr<Optimizer> create(const SolverConfig& c,
                                           ParamStore& params);
  virtual ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// One update of every trainable param from its gradient times
  /// gradScale (the clipping coefficient; 1: none) with learning rate lr;
  /// applies weight decay. Increments steps(). No allocation.
  void step(float lr, float gradScale = 1.f) {
    ++steps_;
    update(lr, gradScale);
  }

  /// Named state buffers for checkpoints, in param order, sized like their
  /// param: "<param>/momentum" for SGD with momentum (none without), and
  /// "<param>/m", "<param>/v" for Adam(W). The step count is separate
  /// (steps()/setSteps()). The spans view the optimizer's arenas and stay
  /// valid for its life.
  virtual std::vector<std::pair<std::string, std::span<float>>> state() = 0;

  /// Updates done so far (restored from a checkpoint with setSteps; Adam's
  /// bias correction depends on it).
  int64_t steps() const { return steps_; }
  void setSteps(int64_t steps) { steps_ = steps; }

 protected:
  explicit Optimizer(ParamStore& params);
  virtual void update(float lr, float gradScale) = 0;

  /// One trainable param: its index in the store and its element count.
  struct Slot {
    int param;
    size_t size;
  };
  /// A state arena like the store's parameter arena, zeroed.
  std::vector<float> stateArena() const;
  /// Named views of a state arena, one per slot: "<param>/<suffix>".
  void addViews(std::vector<std::pair<std::string, std::span<float>>>& out,
                std::vector<float>& arena, const char* suffix) const;
  ParamStore& params_;
  std::vector<Slot> slots_;
  int64_t steps_ = 0;
};

/// Scales every trainable gradient so that their global L2 norm is at most
/// maxNorm (PyTorch clip_grad_norm_: factor maxNorm / (norm + 1e-6) when
/// below 1) and returns the norm before clipping. maxNorm <= 0: no change.
/// A non-finite norm is returned with the gradients left unchanged.
float clipGradNorm(ParamStore& params, float maxNorm);

/// The factor clipGradNorm would scale the gradients by, for
/// Optimizer::step: 1 when the norm is within maxNorm or not finite, and
/// without computing the norm when maxNorm <= 0 (*norm is then left as is).
/// The norm (to *norm when given) is summed in double over fixed chunks of
/// the gradient arena, so it does not depend on the thread count.
float clipCoefficient(ParamStore& params, float maxNorm, float* norm = nullptr);

}  // namespace tapeflow
