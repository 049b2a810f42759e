// train/train_log.cpp - progress, metrics records and curves of a run.
#include "train/train_log.h"

#include <algorithm>
#include <cmath>

namespace tapeflow {

TrainLog::TrainLog(const std::string& runDir, bool resume, int64_t resumeStep, FILE* out,
                   bool quiet, const SolverConfig& solver, int64_t stepsPerEpoch)
    : runDir_(runDir),
      quiet_(quiet),
      solver_(solver),
      perEpoch_(stepsPerEpoch),
      metrics_(runDir + "/metrics.jsonl", resume ? resumeStep : -1),
      progress_(out),
      start_(Clock::now()),
      interval_(Clock::now()),
      epochStart_(Clock::now()) {
  if (resume) {
    MetricsHistory h = readMetrics(metrics_.path());
    trainCurve_ = std::move(h.train);
    evalCurve_ = std::move(h.eval);
  }
}

void TrainLog::setOutputNames(std::vector<std::string> names) {
  outputNames_ = std::move(names);
  runOutputs_.assign(outputNames_.size(), 0.0);
  epochOutputs_.assign(outputNames_.size(), 0.0);
}

void TrainLog::addOutputs(const std::vector<double>& values, int64_t size) {
  for (size_t i = 0; i < values.size() && i < outputNames_.size(); ++i) {
    runOutputs_[i] += values[i] * double(size);
    epochOutputs_[i] += values[i] * double(size);
  }
  runOutputsSeen_ += double(size);
  epochOutputsSeen_ += double(size);
}

std::vector<std::pair<std::string, double>> TrainLog::means(const std::vector<double>& sums,
                                                            double seen) const {
  std::vector<std::pair<std::string, double>> out;
  for (size_t i = 0; i < outputNames_.size(); ++i)
    out.emplace_back(outputNames_[i], seen > 0 ? sums[i] / seen : NAN);
  return out;
}

double TrainLog::sinceInterval() const {
  return std::chrono::duration<double>(Clock::now() - interval_).count();
}

void TrainLog::startEpoch() {
  epochStart_ = Clock::now();
  epochSecondsBefore_ = 0;
  paused_ = false;
}

double TrainLog::epochSeconds() const {
  if (paused_) return epochSecondsBefore_;
  return epochSecondsBefore_ +
         std::chrono::duration<double>(Clock::now() - epochStart_).count();
}

void TrainLog::pause() {
  epochSecondsBefore_ = epochSeconds();
  paused_ = true;
}

void TrainLog::resume() {
  epochStart_ = Clock::now();
  paused_ = false;
}

void TrainLog::step(int64_t step, int64_t epoch, int64_t position, double loss,
                    int64_t correct, int64_t size, float lr) {
  imagesInterval_ += size;
  runLoss_ += loss * double(size);
  runSeen_ += double(size);
  epochLoss_ += loss * double(size);
  epochSeen_ += double(size);
  if (correct >= 0) {
    runCorrect_ += double(correct);
    runAccSeen_ += double(size);
    epochCorrect_ += double(correct);
    epochAccSeen_ += double(size);
  }
  auto progressState = [&]() {
    ProgressState ps;
    ps.epoch = int(epoch + 1);
    ps.epochs = int(solver_.epochs);
    ps.step = position;
    ps.steps = perEpoch_;
    ps.loss = runSeen_ > 0 ? runLoss_ / runSeen_ : NAN;
    ps.accuracy = runAccSeen_ > 0 ? runCorrect_ / runAccSeen_ : NAN;
    ps.lr = lr;
    double dt = sinceInterval();
    ps.imagesPerSecond = dt > 0 ? double(imagesInterval_) / dt : 0;
    ps.epochSeconds = epochSeconds();
    ps.outputs = means(runOutputs_, runOutputsSeen_);
    return ps;
  };
  if (!quiet_) progress_.tick(progressState());
  if (solver_.logEverySteps > 0 && step % solver_.logEverySteps == 0) {
    double dt = sinceInterval();
    MetricPoint mp;
    mp.step = step;
    mp.epoch = double(step) / double(perEpoch_);
    mp.loss = runLoss_ / runSeen_;
    mp.accuracy = runAccSeen_ > 0 ? runCorrect_ / runAccSeen_ : NAN;
    mp.lr = lr;
    mp.imagesPerSecond = dt > 0 ? double(imagesInterval_) / dt : 0;
    mp.wallTime = std::chrono::duration<double>(Clock::now() - start_).count();
    mp.outputs = means(runOutputs_, runOutputsSeen_);
    trainCurve_.push_back(mp);
    metrics_.logTrain(mp);
    if (!quiet_) progress_.update(progressState());
    runLoss_ = runCorrect_ = runSeen_ = runAccSeen_ = runOutputsSeen_ = 0;
    runOutputs_.assign(outputNames_.size(), 0.0);
    interval_ = Clock::now();
    imagesInterval_ = 0;
  }
}

void TrainLog::evaluating(int64_t done, int64_t total) {
  if (!quiet_) progress_.evaluating(done, total);
}

void TrainLog::eval(int64_t step, const EvalResult& r) {
  MetricPoint mp;
  mp.step = step;
  mp.epoch = double(step) / double(perEpoch_);
  mp.loss = r.loss;
  mp.accuracy = r.hasAccuracy ? r.accuracy() : NAN;
  mp.outputs = r.outputs;
  evalCurve_.push_back(mp);
  metrics_.logEval(mp, mp.accuracy, r.loss);
}

void TrainLog::endEpoch(int64_t epoch, const EvalResult* test) {
  if (!quiet_) {
    EpochSummary es;
    es.epoch = int(epoch);
    es.epochs = int(solver_.epochs);
    es.loss = epochLoss_ / std::max(epochSeen_, 1.0);
    es.accuracy = epochAccSeen_ > 0 ? epochCorrect_ / epochAccSeen_ : NAN;
    if (test) {
      es.testLoss = test->loss;
      es.testAccuracy = test->hasAccuracy ? test->accuracy() : NAN;
    }
    es.seconds = epochSeconds();
    es.outputs = means(epochOutputs_, epochOutputsSeen_);
    if (test) es.testOutputs = test->outputs;
    progress_.endEpoch(es);
  }
  epochLoss_ = epochCorrect_ = epochSeen_ = epochAccSeen_ = epochOutputsSeen_ = 0;
  epochOutputs_.assign(outputNames_.size(), 0.0);
}

void TrainLog::finish() {
  if (!quiet_) progress_.finish();
  writeCurves(runDir_ + "/curves.svg", trainCurve_, evalCurve_);
}

}  // namespace tapeflow
