// train/trainer.cpp - the training loop: resume, steps, evaluations,
// logging and checkpoints, around the one TrainStep.
#include "train/trainer.h"

#include <filesystem>
#include <optional>

#include "core/atomic_file.h"
#include "core/dnnl_context.h"
#include "train/checkpoint.h"
#include "train/optimizer.h"
#include "train/train_log.h"
#include "train/train_step.h"

namespace tapeflow {
namespace {

std::vector<std::string> trainOutputs(const Program& p) {
  if (p.lossValue() < 0)
    throw GraphError(p.graph().loc, "", "", "the graph declares no loss; training needs one");
  std::vector<std::string> out{p.value(p.lossValue()).name};
  if (p.predictionValue() >= 0) out.push_back(p.value(p.predictionValue()).name);
  return out;
}

class Trainer {
 public:
  Trainer(std::shared_ptr<const Program> program, const SolverConfig& solver,
          std::shared_ptr<const DataSource> trainData,
          std::shared_ptr<const DataSource> evalData, const TrainOptions& options)
      : program_(std::move(program)),
        s_(solver),
        opt_(options),
        outputs_(trainOutputs(*program_)),
        // Data first: a bad source fails before anything is written.
        batches_(std::move(trainData), transformFor(s_, true), s_.batchSize, s_.seed,
                 s_.dropLast),
        bindings_(bindInputs(*program_, batches_, s_)),
        store_(program_) {
    if (s_.batchSize > batches_.source().size())
      throw UsageError({}, "", "", "batch size " + std::to_string(s_.batchSize) +
                                       " is larger than the training set (" +
                                       std::to_string(batches_.source().size()) + " samples)");
    store_.initialize(s_.seed);
    if (!opt_.resume && !opt_.initFrom.empty()) initFrom();
    optimizer_ = Optimizer::create(s_, store_);
    if (evalData) {
      evalFingerprint_ = evalData->fingerprint();
      evaluator_.emplace(program_, store_, s_, std::move(evalData));
    }
    perEpoch_ = batches_.batchesPerEpoch();
    labelField_ = labelFieldOf(*program_, bindings_, batches_.fields(), s_);
    classes_ = predictionClasses(*program_);
  }

  TrainResult run() {
    CheckpointDir ckdir(opt_.runDir, s_.keepCheckpoints);
    ckdir_ = &ckdir;
    if (opt_.resume) resume();
    std::filesystem::create_directories(opt_.runDir);
    writeFileAtomically(opt_.runDir + "/solver.pbtxt", solverToText(s_));
    TrainLog log(opt_.runDir, opt_.resume, at_.step, opt_.out, opt_.quiet, s_, perEpoch_);
    log.setOutputNames(logged_);
    loop(log);
    log.finish();
    result_.steps = at_.step;
    result_.imagesPerSecond = trainSeconds_ > 0 ? double(images_) / trainSeconds_ : 0;
    return std::move(result_);
  }

 private:
  uint64_t dataFingerprint() const {
    return batches_.source().fingerprint() ^ (evalFingerprint_ * 31);
  }

  void resume() {
    const std::string path = ckdir_->latest();
    CheckpointData ck = readCheckpoint(path);
    checkCompatibleData(ck, path);
    at_ = restoreCheckpoint(ck, path, *program_, store_, optimizer_.get());
  }

  void initFrom() {
    std::vector<std::string> skipped = initParamsFrom(
        readCheckpoint(opt_.initFrom), opt_.initFrom, store_, opt_.initSkipMismatched);
    if (opt_.quiet) return;
    std::fprintf(opt_.out, "initialised from %s\n", opt_.initFrom.c_str());
    for (const std::string& m : skipped)
      std::fprintf(opt_.out, "  skipped %s (kept its initialisation)\n", m.c_str());
  }

  void checkCompatibleData(const CheckpointData& ck, const std::string& path) const {
    if (ck.dataFingerprint != dataFingerprint())
      throw DataError({path, 0, 0}, "", "",
                      "checkpoint was trained on other data (fingerprint " +
                          std::to_string(ck.dataFingerprint) + "), found " +
                          std::to_string(dataFingerprint()) + " in " +
                          batches_.source().describe());
  }

  void save(bool isBest) {
    CheckpointData ck = snapshotCheckpoint(*program_, store_, *optimizer_, at_);
    ck.dataFingerprint = dataFingerprint();
    ck.seed = s_.seed;
    ck.solverText = solverToText(s_);
    result_.checkpoint = ckdir_->save(ck, isBest);
  }

  // Evaluates (when there is an evaluation source) and logs; true when
  // this is the best evaluation so far.
  bool evaluateNow(TrainLog& log) {
    if (!evaluator_) return false;
    EvalResult r = evaluator_->run(
        [&log](int64_t done, int64_t total) { log.evaluating(done, total); });
    const double metric = r.hasAccuracy ? r.accuracy() : -r.loss;
    const bool isBest = at_.bestStep < 0 || metric > at_.bestMetric;
    if (isBest) {
      at_.bestMetric = metric;
      at_.bestStep = at_.step;
    }
    log.eval(at_.step, r);
    result_.test = r;
    return isBest;
  }

  bool stopRequested() const {
    return (opt_.cancel && opt_.cancel->requested()) ||
           (opt_.stopAfterSteps >= 0 && stepsThisRun_ >= opt_.stopAfterSteps);
  }

  TrainStep::Result runStep(TrainStep& step, Plan& plan, const Batch& b) {
    try {
      return step.run(plan, b, at_.step);
    } catch (const NumericError& e) {
      throw NumericError(e.loc(), e.node(), e.op(),
                         e.message() + " (epoch " + std::to_string(at_.epoch + 1) +
                             "); last checkpoint kept: " +
                             (result_.checkpoint.empty() ? "none" : result_.checkpoint));
    }
  }

  void loop(TrainLog& log) {
    std::vector<std::string> planOutputs = outputs_;
    planOutputs.insert(planOutputs.end(), logged_.begin(), logged_.end());
    PlanCache plans(program_, store_, Mode::Training, planOutputs, s_.seed);
    TrainStep step(program_, store_, optimizer_.get(), s_, bindings_, perEpoch_);
    const std::string prediction = outputs_.size() > 1 ? outputs_[1] : "";
    bool stop = false;
    for (; at_.epoch < s_.epochs && !stop; ++at_.epoch, at_.positionInEpoch = 0) {
      batches_.start(at_.epoch, at_.positionInEpoch);
      log.startEpoch();
      Batch b;
      while (!stop && batches_.next(&b)) {
        Plan& plan = plans.get(b.size);
        TrainStep::Result r = runStep(step, plan, b);
        ++at_.step;
        ++at_.positionInEpoch;
        ++stepsThisRun_;
        images_ += b.size;
        result_.losses.push_back(r.loss);
        int64_t correct = -1;
        if (!labelField_.empty())
          correct = countCorrect(plan.readValue(prediction), b.find(labelField_)->i32.data(),
                                 b.size, classes_, nullptr);
        if (!logged_.empty()) {
          std::vector<double> values;
          for (const std::string& name : logged_) values.push_back(plan.readScalar(name));
          log.addOutputs(values, b.size);
        }
        log.step(at_.step, at_.epoch, at_.positionInEpoch, r.loss, correct, b.size, r.lr);
        const bool midEpoch = at_.positionInEpoch < perEpoch_;
        if (s_.evalEverySteps > 0 && at_.step % s_.evalEverySteps == 0 && midEpoch) {
          log.pause();
          bool isBest = evaluateNow(log);
          if (s_.checkpointEverySteps == 0) save(isBest);
          log.resume();
        }
        if (s_.checkpointEverySteps > 0 && at_.step % s_.checkpointEverySteps == 0 && midEpoch)
          save(false);
        stop = stopRequested();
      }
      batches_.stop();
      log.pause();
      trainSeconds_ += log.epochSeconds();
      if (stop && at_.positionInEpoch < perEpoch_) break;  // interrupted mid-epoch
      // End of epoch: evaluate and checkpoint (position 0 of the next epoch).
      bool isBest = evaluateNow(log);
      ++at_.epoch;
      at_.positionInEpoch = 0;
      save(isBest);
      log.endEpoch(at_.epoch, evaluator_ ? &result_.test : nullptr);
      --at_.epoch;  // the loop increments it
    }
    result_.interrupted = stop;
    if (stop && at_.positionInEpoch > 0) save(false);
  }

  std::shared_ptr<const Program> program_;
  SolverConfig s_;
  TrainOptions opt_;
  std::vector<std::string> outputs_;
  std::vector<std::string> logged_ = loggedOutputs(*program_);
  Batcher batches_;
  std::vector<InputBinding> bindings_;
  ParamStore store_;
  std::unique_ptr<Optimizer> optimizer_;
  std::optional<Evaluator> evaluator_;
  uint64_t evalFingerprint_ = 0;
  int64_t perEpoch_ = 0;
  std::string labelField_;
  int64_t classes_ = 0;
  CheckpointDir* ckdir_ = nullptr;
  RunPosition at_;
  TrainResult result_;
  int64_t stepsThisRun_ = 0, images_ = 0;
  double trainSeconds_ = 0;
};

}  // namespace

TrainResult train(std::shared_ptr<const Program> program, const SolverConfig& solver,
                  std::shared_ptr<const DataSource> trainData,
                  std::shared_ptr<const DataSource> evalData, const TrainOptions& options) {
  if (!program || !trainData)
    throw UsageError({}, "", "", "train() needs a program and a training data source");
  if (solver.threads > 0) setNumThreads(solver.threads);
  return Trainer(std::move(program), solver, std::move(trainData), std::move(evalData),
                 options)
      .run();
}

}  // namespace tapeflow
