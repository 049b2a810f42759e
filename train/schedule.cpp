// train/schedule.cpp - learning-rate schedules, computed in double
// from the solver values as written.
#include "train/schedule.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <numbers>
#include <string>

#include "core/error.h"

namespace tapeflow {
namespace {

/// Epoch boundaries computed in floating point can land a hair below the
/// integer they stand for (0.3 / 0.1 = 2.9999999999999996); this tolerance
/// absorbs that. Real gaps between a step's epoch and a boundary are far
/// larger (at least 1 / stepsPerEpoch of a boundary period's denominator).
constexpr double kSlack = 1e-9;

/// The double closest to the decimal a float was written as (0.1f -> 0.1,
/// not 0.10000000149), so boundaries fall where the user put them.
double asWritten(float f) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf - 1, f);
  *r.ptr = '\0';
  return std::strtod(buf, nullptr);
}

double decayed(const SolverConfig& c, double epoch) {
  const double lr = asWritten(c.lr), gamma = asWritten(c.gamma);
  if (c.schedule == "constant") return lr;
  if (c.schedule == "step")
    return lr * std::pow(gamma,
                         std::floor(epoch / asWritten(c.stepEpochs) + kSlack));
  if (c.schedule == "multistep") {
    int passed = 0;
    for (float m : c.milestones)
      if (epoch + kSlack >= asWritten(m)) ++passed;
    return lr * std::pow(gamma, passed);
  }
  if (c.schedule == "exponential") return lr * std::pow(gamma, epoch);
  if (c.schedule == "cosine") {
    const double total = static_cast<double>(c.epochs);
    const double minLr = asWritten(c.minLr);
    const double e = std::min(epoch, total);
    return minLr +
           (lr - minLr) * (1 + std::cos(std::numbers::pi * e / total)) / 2;
  }
  throw UsageError(SourceLoc{}, "", "",
                   "unknown schedule '" + c.schedule +
                       "'; expected one of constant, step, multistep, "
                       "exponential, cosine");
}

}  // namespace

float learningRate(const SolverConfig& c, int64_t step, int64_t stepsPerEpoch) {
  if (stepsPerEpoch < 1)
    throw UsageError(SourceLoc{}, "", "",
                     "steps per epoch: expected >= 1, found " +
                         std::to_string(stepsPerEpoch));
  if (step < 0)
    throw UsageError(SourceLoc{}, "", "",
                     "step: expected >= 0, found " + std::to_string(step));
  const double spe = static_cast<double>(stepsPerEpoch);
  double rate = decayed(c, static_cast<double>(step) / spe);
  if (c.warmupEpochs > 0.f) {
    const double warmupSteps = asWritten(c.warmupEpochs) * spe;
    rate *= std::min(1.0, static_cast<double>(step + 1) / warmupSteps);
  }
  return static_cast<float>(rate);
}

}  // namespace tapeflow
