// train/train_step.h - one training step, the only one: `tapeflow train`,
// `tapeflow profile` and the benchmarks all run TrainStep::run.
//
// A step: copy a batch of named tensors into the plan's inputs (data),
// forward with the tape (forward; the loss must be finite), backward,
// the clipping coefficient from the global norm (clip; no pass when clipping
// is off), learning rate from the schedule and the optimizer update, one
// pass over the parameter arena with the clipping folded in (optimizer). An inference plan runs data and forward
// only. A StepObserver sees each phase begin and end (the profiler times
// them); a NodeObserver on the plan sees each node (core/plan.h).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/plan.h"
#include "train/data/batcher.h"
#include "train/optimizer.h"
#include "train/solver.h"

namespace tapeflow {

/// Allreduce: the gradient allreduce of data-parallel training (between
/// Backward and Clip; absent on a single process).
enum class StepPhase { Data, Forward, Backward, Allreduce, Clip, Optimizer };

/// Watches the phases of TrainStep::run.
class StepObserver {
 public:
  virtual ~StepObserver() = default;
  virtual void beginPhase(StepPhase phase) = 0;
  virtual void endPhase(StepPhase phase) = 0;
};

/// Calls the observer, if any, around one phase.
class PhaseScope {
 public:
  PhaseScope(StepObserver* o, StepPhase p) : o_(o), p_(p) {
    if (o_) o_->beginPhase(p_);
  }
  ~PhaseScope() {
    if (o_) o_->endPhase(p_);
  }
  PhaseScope(const PhaseScope&) = delete;
  PhaseScope& operator=(const PhaseScope&) = delete;

 private:
  StepObserver* o_;
  StepPhase p_;
};

/// A graph input and the batch field that feeds it.
struct InputBinding {
  std::string input;
  std::string field;
};

/// A graph input that no field of the data feeds; the message names both.
/// `mappedFrom` is the field the solver's input_name/label_name mapping
/// looked for ("image" or "label"), empty for other inputs.
class UnboundInputError : public UsageError {
 public:
  UnboundInputError(SourceLoc loc, std::string input, std::string mappedFrom,
                    const std::string& message)
      : UsageError(std::move(loc), "", "", message),
        input_(std::move(input)),
        mappedFrom_(std::move(mappedFrom)) {}
  const std::string& input() const { return input_; }
  const std::string& mappedFrom() const { return mappedFrom_; }

 private:
  std::string input_, mappedFrom_;
};

/// The solver's transforms; training adds random shifts and shuffling.
TransformConfig transformFor(const SolverConfig& solver, bool training);

/// Binds every input of `program` to a field of `batches`: the graph input
/// solver.inputName is fed by the field "image" and solver.labelName by
/// "label" when the data has them; any other input (or those, when the data
/// has no such field) by the field of the same name. Throws
/// UnboundInputError for an input without a field, and DataError when a
/// field's dtype or per-sample dims (after the transforms) differ from the
/// input's.
std::vector<InputBinding> bindInputs(const Program& program, const Batcher& batches,
                                     const SolverConfig& solver);

/// Plans of one mode, one per batch size (a last batch may be short).
class PlanCache {
 public:
  PlanCache(std::shared_ptr<const Program> program, ParamStore& store, Mode mode,
            std::vector<std::string> outputs, uint64_t seed);
  Plan& get(int64_t batch);

 private:
  std::shared_ptr<const Program> program_;
  ParamStore* store_;
  Mode mode_;
  std::vector<std::string> outputs_;
  uint64_t seed_;
  std::map<int64_t, std::unique_ptr<Plan>> plans_;
};

class TrainStep {
 public:
  /// Steps of `program` with params `store`, updated by `optimizer` (which
  /// may be null when only inference plans are run) with the solver's
  /// clipping and schedule (`stepsPerEpoch` batches per epoch). All three
  /// must outlive the step.
  TrainStep(std::shared_ptr<const Program> program, ParamStore& store,
            Optimizer* optimizer, const SolverConfig& solver,
            std::vector<InputBinding> bindings, int64_t stepsPerEpoch);

  struct Result {
    float loss = 0;  ///< NaN when the plan does not compute the loss
    float lr = 0;    ///< learning rate of the update (0: no update)
  };

  /// Runs global step `step` on `plan` (batch size batch.size). Throws
  /// NumericError naming the step and the first node whose output went
  /// non-finite when the loss is not finite (nothing is updated then).
  Result run(Plan& plan, const Batch& batch, int64_t step,
             StepObserver* observer = nullptr);

  /// The first half of run: data, forward, loss check and (in training)
  /// backward, leaving the gradients in the param store. Returns the loss.
  float computeGradients(Plan& plan, const Batch& batch, int64_t step,
                         StepObserver* observer = nullptr);
  /// The second half: clipping, learning rate and update from the
  /// gradients in the store. Returns the learning rate (0 without an
  /// optimizer).
  float applyUpdate(int64_t step, StepObserver* observer = nullptr);

  /// Copies the bound fields of `batch` into the plan's inputs.
  void bind(Plan& plan, const Batch& batch) const;

 private:
  [[noreturn]] void diagnoseNonFinite(const Plan& plan, const Batch& batch, int64_t step,
                                      float loss);

  std::shared_ptr<const Program> program_;
  ParamStore* store_;
  Optimizer* optimizer_;
  SolverConfig solver_;
  std::vector<InputBinding> bindings_;
  int64_t stepsPerEpoch_;
  std::string loss_;
};

}  // namespace tapeflow
