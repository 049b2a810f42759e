// train/trainer.h - the graph trainer behind `tapeflow train`,
// `eval` and `predict`: data, optimizer, schedule, evaluation, logs,
// checkpoints, interruption and exact resume.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/param_store.h"
#include "core/program.h"
#include "train/solver.h"

namespace tapeflow {

/// Set by the SIGINT/SIGTERM handler; the trainer finishes the current
/// step, writes a checkpoint and returns with `interrupted` set.
extern std::atomic<bool> gStopRequested;
/// Installs the SIGINT/SIGTERM handler (a second signal kills the process;
/// checkpoints are atomic, so it never leaves a partial one).
void installStopHandler();

struct TrainOptions {
  std::string modelPath;
  SolverConfig solver;
  std::string outDir;            ///< runs/NAME: logs, curves, checkpoints
  bool resume = false;           ///< continue from outDir's latest checkpoint
  int64_t stopAfterSteps = -1;   ///< behave as if interrupted after this many steps
  FILE* out = stdout;            ///< progress and results
  bool quiet = false;            ///< no progress output (tests)
};

/// Accuracy, loss and the confusion matrix (rows: true class, columns:
/// predicted class) over a whole dataset.
struct EvalResult {
  int64_t samples = 0;
  int64_t correct = 0;
  double loss = 0;
  int64_t classes = 0;
  std::vector<int64_t> confusion;
  double seconds = 0;
  double accuracy() const { return samples ? double(correct) / double(samples) : 0; }
};

struct TrainResult {
  std::vector<float> losses;   ///< loss of every step run by this call
  int64_t steps = 0;           ///< global step count at the end
  bool interrupted = false;
  EvalResult test;             ///< last evaluation
  double imagesPerSecond = 0;  ///< training throughput (evaluation excluded)
  std::string checkpoint;      ///< last checkpoint written
};

/// Trains a model file with a solver. Throws tapeflow::Error on bad input.
TrainResult train(const TrainOptions& options);

/// A hash of a program's structure (ops, wiring, param names and dims).
uint64_t modelFingerprint(const Program& program);

/// Loads a checkpoint's parameters into a store after checking they belong
/// to this model (names, dims, fingerprint).
void loadParams(const std::string& checkpointPath, const Program& program,
                ParamStore& store);

/// Evaluates a model with the given parameters on an MNIST-style directory.
EvalResult evaluateDir(std::shared_ptr<const Program> program, ParamStore& store,
                       const SolverConfig& solver, const std::string& split);

/// Prints "accuracy", the confusion matrix and throughput.
void printEval(FILE* out, const EvalResult& r, const std::string& title);

}  // namespace tapeflow
