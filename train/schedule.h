// train/schedule.h - the learning rate at each step.
//
// With epoch = step / stepsPerEpoch (fractional) and base rate lr:
//   constant:    lr
//   step:        lr * gamma^floor(epoch / stepEpochs)
//   multistep:   lr * gamma^(number of milestones <= epoch)
//   exponential: lr * gamma^epoch
//   cosine:      minLr + (lr - minLr) * (1 + cos(pi * e / epochs)) / 2
//                with e = min(epoch, epochs)
// Warm-up multiplies any of these by (step + 1) / warmupSteps while
// step < warmupSteps = warmupEpochs * stepsPerEpoch, so the first step
// already moves and the factor reaches 1 at the end of the warm-up.
// A boundary is passed at the first step whose epoch reaches it (epoch 2 with
// 100 steps per epoch is step 200), counted from the values as written in
// the solver file, so 0.1 epochs means exactly 10 of 100 steps.
#pragma once

#include <cstdint>

#include "train/solver.h"

namespace tapeflow {

/// Learning rate for global step `step` (0-based). Throws UsageError when
/// stepsPerEpoch < 1 or step < 0.
float learningRate(const SolverConfig& c, int64_t step, int64_t stepsPerEpoch);

}  // namespace tapeflow
