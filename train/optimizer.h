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
// PyTorch. Gradient buffers are read, never modified (except by clipping).
#pragma once

#include <cstdint>
#include <memory>
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

  /// One update of every trainable param from its gradient with learning
  /// rate lr; applies weight decay; does not clip (see clipGradNorm).
  /// Increments steps(). No allocation.
  virtual void step(float lr) = 0;

  /// Named state buffers for checkpoints, in param order, sized like their
  /// param: "<param>/momentum" for SGD with momentum (none without), and
  /// "<param>/m", "<param>/v" for Adam(W). The step count is separate
  /// (steps()/setSteps()). Pointers stay valid for the optimizer's life.
  virtual std::vector<std::pair<std::string, std::vector<float>*>> state() = 0;

  /// Updates done so far (restored from a checkpoint with setSteps; Adam's
  /// bias correction depends on it).
  int64_t steps() const { return steps_; }
  void setSteps(int64_t steps) { steps_ = steps; }

 protected:
  explicit Optimizer(ParamStore& params);

  /// One trainable param: its index in the store and its element count.
  struct Slot {
    int param;
    size_t size;
  };
  ParamStore& params_;
  std::vector<Slot> slots_;
  int64_t steps_ = 0;
};

/// Scales every trainable gradient so that their global L2 norm is at most
/// maxNorm (PyTorch clip_grad_norm_: factor maxNorm / (norm + 1e-6) when
/// below 1) and returns the norm before clipping. maxNorm <= 0: no change.
/// A non-finite norm is returned with the gradients left unchanged.
float clipGradNorm(ParamStore& params, float maxNorm);

}  // namespace tapeflow
