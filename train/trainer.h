// train/trainer.h - the trainer behind `tapeflow train`: a Program, a
// solver, a training DataSource and an optional evaluation source; steps
// (train/train_step.h), evaluation (train/evaluation.h), logs
// (train/train_log.h), checkpoints (train/run_checkpoint.h), cancellation
// and exact resume.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/program.h"
#include "train/cancellation.h"
#include "train/data/data_source.h"
#include "train/distributed/communicator.h"
#include "train/evaluation.h"
#include "train/run_checkpoint.h"
#include "train/solver.h"

namespace tapeflow {

struct TrainOptions {
  std::string runDir;            ///< runs/NAME: logs, curves, checkpoints
  bool resume = false;           ///< continue from runDir's latest checkpoint
  /// A new run starts from this checkpoint's params (not its optimizer
  /// state or position); names and dims must match (DataError listing the
  /// mismatches) unless initSkipMismatched, which keeps the initialised
  /// value of every param the checkpoint lacks or holds with other dims.
  std::string initFrom;
  bool initSkipMismatched = false;
  /// When set and requested, the trainer finishes the current step, writes
  /// a checkpoint and returns with `interrupted` set.
  const CancellationToken* cancel = nullptr;
  int64_t stopAfterSteps = -1;   ///< behave as if cancelled after this many steps
  FILE* out = stdout;            ///< progress
  bool quiet = false;            ///< no progress output (tests)
  /// Data-parallel training over these ranks (see openWorld); null: one
  /// process. Every rank calls train() with the same arguments; each runs
  /// its slice of every global batch (solver.batchSize must be a multiple
  /// of ranks x accumulate), gradients are averaged with one allreduce per
  /// step, and only rank 0 writes the run directory and prints progress.
  std::shared_ptr<Communicator> comm;
  /// Each rank runs its slice as this many micro-batches, summing their
  /// gradients before the one allreduce of the step (>= 1).
  int accumulate = 1;
  /// Several ranks, one micro-batch: the gradient allreduce runs in
  /// buckets of about this many MiB overlapped with the backward pass
  /// (0: one allreduce after it).
  double bucketMiB = 1;
  /// Compare a hash of the params across ranks every this many steps
  /// (0: never); a rank that diverged stops every rank (DistributedError).
  int64_t checkReplicasEvery = 0;
  /// The program's graph as text without param values, stored in every
  /// checkpoint (CheckpointData::graphText) so that the run can be resumed
  /// or evaluated without its graph file; empty: none stored.
  std::string graphText;
  /// Written to runDir/model.pbtxt (atomically) when a run starts, and when
  /// a resumed run's directory lacks the file; never replaces it on resume.
  /// Empty: no file.
  std::string graphFile;
};

struct TrainResult {
  std::vector<float> losses;   ///< loss of every step run by this call
  int64_t steps = 0;           ///< global step count at the end
  bool interrupted = false;
  EvalResult test;             ///< last evaluation (empty without one)
  double imagesPerSecond = 0;  ///< training throughput (evaluation excluded)
  double allreduceSeconds = 0; ///< time in the gradient allreduce (several ranks)
  std::string checkpoint;      ///< last checkpoint written
};

/// Trains `program` on `trainData` with `solver`, evaluating on `evalData`
/// (may be null) every epoch or solver.evalEverySteps steps. Graph inputs
/// are fed by the source fields of the same name, except that the inputs
/// solver.inputName and solver.labelName are fed by the fields "image" and
/// "label" when the source has them (see bindInputs). Throws
/// tapeflow::Error on bad input: UnboundInputError for a graph input no
/// field feeds, DataError for a field of the wrong dtype or dims or a
/// checkpoint of other data or another model, NumericError for a
/// non-finite loss (the last good checkpoint is kept). With several ranks,
/// an error on any rank is thrown on every rank as one DistributedError
/// naming that rank.
TrainResult train(std::shared_ptr<const Program> program, const SolverConfig& solver,
                  std::shared_ptr<const DataSource> trainData,
                  std::shared_ptr<const DataSource> evalData, const TrainOptions& options);

}  // namespace tapeflow
