// train/train_log.h - what a training run reports: the progress bar or
// lines, metrics.jsonl (one record per logging interval and evaluation),
// the running loss and accuracy, and curves.svg at the end.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "train/evaluation.h"
#include "train/metrics.h"
#include "train/progress.h"
#include "train/solver.h"

namespace tapeflow {

class TrainLog {
 public:
  /// Logs into runDir/metrics.jsonl; on resume, records after `resumeStep`
  /// (work that is redone) are dropped and the curves continue from the
  /// log. Progress goes to `out` unless `quiet`.
  TrainLog(const std::string& runDir, bool resume, int64_t resumeStep, FILE* out,
           bool quiet, const SolverConfig& solver, int64_t stepsPerEpoch);

  /// Names the scalar outputs logged besides the loss (loggedOutputs).
  void setOutputNames(std::vector<std::string> names);
  /// The outputs' values of the step about to be logged with step().
  void addOutputs(const std::vector<double>& values, int64_t size);
  void startEpoch();
  /// One step done: `step` is the global count after it, `position` the
  /// batches done in the epoch; `correct` < 0 when accuracy is unknown.
  void step(int64_t step, int64_t epoch, int64_t position, double loss, int64_t correct,
            int64_t size, float lr);
  /// An evaluation under way: `done` of `total` samples (the bar).
  void evaluating(int64_t done, int64_t total);
  /// An evaluation at `step`.
  void eval(int64_t step, const EvalResult& r);
  /// Seconds spent training in this epoch so far (evaluations excluded).
  double epochSeconds() const;
  /// Excludes the time from now until resume() from the epoch's time.
  void pause();
  void resume();
  /// End of an epoch (1-based number `epoch`) with its last evaluation.
  void endEpoch(int64_t epoch, const EvalResult* test);
  /// Clears the bar and writes curves.svg.
  void finish();

 private:
  using Clock = std::chrono::steady_clock;
  double sinceInterval() const;

  std::string runDir_;
  bool quiet_;
  SolverConfig solver_;
  int64_t perEpoch_;
  MetricsLog metrics_;
  std::vector<MetricPoint> trainCurve_, evalCurve_;
  Progress progress_;
  Clock::time_point start_, interval_, epochStart_;
  double epochSecondsBefore_ = 0;
  bool paused_ = false;
  int64_t imagesInterval_ = 0;
  double runLoss_ = 0, runCorrect_ = 0, runSeen_ = 0, runAccSeen_ = 0;
  double epochLoss_ = 0, epochCorrect_ = 0, epochSeen_ = 0, epochAccSeen_ = 0;
  std::vector<std::string> outputNames_;
  std::vector<double> runOutputs_, epochOutputs_;  ///< sums weighted by size
  double runOutputsSeen_ = 0, epochOutputsSeen_ = 0;
  /// name, sum / seen for each output (NaN when nothing was seen).
  std::vector<std::pair<std::string, double>> means(const std::vector<double>& sums,
                                                    double seen) const;
};

}  // namespace tapeflow
