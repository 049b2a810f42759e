// train/trainer.cpp - the training loop: resume, steps, evaluations,
// logging and checkpoints, around the one TrainStep.
#include "train/trainer.h"

#include <filesystem>
#include <optional>

#include "core/atomic_file.h"
#include "core/dnnl_context.h"
#include "train/checkpoint.h"
#include "train/distributed/data_parallel_step.h"
#include "train/distributed/sharding.h"
#include "train/optimizer.h"
#include "train/resume_recipe.h"
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

// A per-rank seed for the plans' random streams (Dropout masks): rank 0
// keeps the solver's seed, so one process is unchanged.
uint64_t rankSeed(uint64_t seed, int rank) {
  return seed + uint64_t(rank) * 0x9E3779B97F4A7C15ull;
}

bool hasBatchNorm(const Program& p) {
  for (const Node& n : p.graph().nodes)
    if (n.op == "BatchNorm") return true;
  return false;
}

class Trainer {
 public:
  Trainer(std::shared_ptr<const Program> program, const SolverConfig& solver,
          std::shared_ptr<const DataSource> trainData,
          std::shared_ptr<const DataSource> evalData, const TrainOptions& options)
      : program_(std::move(program)),
        s_(solver),
        opt_(options),
        comm_(opt_.comm ? opt_.comm : std::make_shared<SingleProcess>()),
        root_(comm_->rank() == 0),
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
    if (opt_.accumulate < 1)
      throw UsageError({}, "", "", "accumulate must be at least 1, found " +
                                       std::to_string(opt_.accumulate));
    distributed_ = comm_->size() > 1 || opt_.accumulate > 1;
    if (distributed_) {
      rankSlice(s_.batchSize, comm_->rank(), comm_->size(), opt_.accumulate);
      const int64_t last = batches_.batchSize(batches_.batchesPerEpoch() - 1);
      if (last % (int64_t(comm_->size()) * opt_.accumulate) != 0)
        throw UsageError({}, "", "", "the last batch of an epoch has " + std::to_string(last) +
                                         " samples (drop_last is off), which do not split "
                                         "evenly over the ranks and micro-batches; turn "
                                         "drop_last on or choose another batch size");
      batches_.setSlice(comm_->rank(), comm_->size());
    }
    store_.initialize(s_.seed);
    if (!opt_.resume && !opt_.initFrom.empty()) initFrom();
    optimizer_ = Optimizer::create(s_, store_);
    if (evalData) {
      evalFingerprint_ = evalData->fingerprint();
      evaluator_.emplace(program_, store_, s_,
                         evaluationShard(std::move(evalData), comm_->rank(), comm_->size()));
    }
    perEpoch_ = batches_.batchesPerEpoch();
    labelField_ = labelFieldOf(*program_, bindings_, batches_.fields(), s_);
    classes_ = predictionClasses(*program_);
    syncBuffers_ = comm_->size() > 1 && hasBatchNorm(*program_);
  }

  TrainResult run() {
    std::optional<CheckpointDir> ckdir;
    std::string latest;
    collective([&] {
      if (!root_) return;
      ckdir.emplace(opt_.runDir, s_.keepCheckpoints);
      if (opt_.resume) latest = ckdir->latest();
    });
    ckdir_ = ckdir ? &*ckdir : nullptr;
    if (opt_.resume) {
      comm_->broadcast(&latest, 0);
      collective([&] { resume(latest); });
    }
    std::optional<TrainLog> log;
    collective([&] {
      if (!root_) return;
      std::filesystem::create_directories(opt_.runDir);
      writeFileAtomically(opt_.runDir + "/solver.pbtxt", solverToText(s_));
      const std::string model = opt_.runDir + "/model.pbtxt";
      if (!opt_.graphFile.empty() && (!opt_.resume || !std::filesystem::exists(model)))
        writeFileAtomically(model, opt_.graphFile);
      log.emplace(opt_.runDir, opt_.resume, at_.step, opt_.out, opt_.quiet, s_, perEpoch_);
      log->setOutputNames(logged_);
    });
    log_ = log ? &*log : nullptr;
    loop();
    if (log_) log_->finish();
    result_.steps = at_.step;
    result_.imagesPerSecond = trainSeconds_ > 0 ? double(images_) / trainSeconds_ : 0;
    result_.allreduceSeconds = comm_->allreduceSeconds();
    return std::move(result_);
  }

 private:
  uint64_t dataFingerprint() const {
    return batches_.source().fingerprint() ^ (evalFingerprint_ * 31);
  }

  // Runs f on every rank; an error on any rank stops every rank (see
  // agreeOnFailure). One process: f's exception as it is.
  template <class F>
  void collective(F&& f) {
    std::exception_ptr failure;
    try {
      f();
    } catch (...) {
      failure = std::current_exception();
    }
    agreeOnFailure(*comm_, failure);
  }

  void resume(const std::string& path) {
    CheckpointData ck = readCheckpoint(path);
    checkCompatibleData(ck, path);
    // The same rules as `tapeflow train --resume`: only changes that keep
    // the continuation exact, and something left to train.
    if (!ck.solverText.empty()) checkResumeChanges(parseSolverText(ck.solverText, path), s_);
    checkNotFinished(opt_.runDir, ck.epoch, ck.step, s_);
    at_ = restoreCheckpoint(ck, path, *program_, store_, optimizer_.get());
    if (ck.ranks != comm_->size() && root_ && !opt_.quiet)
      std::fprintf(opt_.out,
                   "note: %s was written by %d rank%s, resuming on %d: the same global "
                   "batch and data position, but sums in another order (not bit-exact)\n",
                   path.c_str(), ck.ranks, ck.ranks == 1 ? "" : "s", comm_->size());
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

  // Rank 0 writes the checkpoint; the others wait to learn that it worked.
  void save(bool isBest) {
    collective([&] {
      if (!root_) return;
      CheckpointData ck = snapshotCheckpoint(*program_, store_, *optimizer_, at_);
      ck.dataFingerprint = dataFingerprint();
      ck.seed = s_.seed;
      ck.ranks = comm_->size();
      ck.solverText = solverToText(s_);
      ck.graphText = opt_.graphText;
      result_.checkpoint = ckdir_->save(ck, isBest);
    });
  }

  // Evaluates (when there is an evaluation source) and logs; true when
  // this is the best evaluation so far.
  bool evaluateNow() {
    if (!evaluator_) return false;
    EvalResult r;
    collective([&] {
      r = evaluator_->run([this](int64_t done, int64_t total) {
        if (log_) log_->evaluating(done, total);
      });
    });
    reduceEval(*comm_, &r);
    const double metric = r.hasAccuracy ? r.accuracy() : -r.loss;
    const bool isBest = at_.bestStep < 0 || metric > at_.bestMetric;
    if (isBest) {
      at_.bestMetric = metric;
      at_.bestStep = at_.step;
    }
    if (log_) log_->eval(at_.step, r);
    result_.test = r;
    return isBest;
  }

  bool cancelled() const { return opt_.cancel && opt_.cancel->requested(); }
  bool stepLimitReached() const {
    return opt_.stopAfterSteps >= 0 && stepsThisRun_ >= opt_.stopAfterSteps;
  }

  std::string keptCheckpoint() const {
    return " (epoch " + std::to_string(at_.epoch + 1) + "); last checkpoint kept: " +
           (result_.checkpoint.empty() ? "none" : result_.checkpoint);
  }

  // One step; returns its (global) loss, correct predictions (-1: unknown),
  // learning rate and whether every rank stops after it.
  struct StepOutcome {
    float loss = 0, lr = 0;
    int64_t correct = -1;
    bool stop = false;
    std::vector<double> outputs;  ///< the logged outputs (global batch means)
  };
  StepOutcome runStep(TrainStep& step, PlanCache& plans, const Batch& b) {
    StepOutcome o;
    if (dp_) {
      try {
        DataParallelStep::Result r = dp_->run(plans, b, at_.step, cancelled());
        o = {r.loss, r.lr, r.correct, r.stop, std::move(r.outputs)};
      } catch (const DistributedError& e) {
        if (e.exitCode() != ExitCode::Numerical) throw;
        throw DistributedError(e.text() + keptCheckpoint(), e.exitCode(), e.failedRank());
      }
      return o;
    }
    Plan& plan = plans.get(b.size);
    try {
      TrainStep::Result r = step.run(plan, b, at_.step);
      o.loss = r.loss;
      o.lr = r.lr;
    } catch (const NumericError& e) {
      throw NumericError(e.loc(), e.node(), e.op(), e.message() + keptCheckpoint());
    }
    if (!labelField_.empty())
      o.correct = countCorrect(plan.readValue(prediction_), b.find(labelField_)->i32.data(),
                               b.size, classes_, nullptr);
    for (const std::string& name : logged_) o.outputs.push_back(plan.readScalar(name));
    o.stop = cancelled();
    return o;
  }

  void loop() {
    std::vector<std::string> planOutputs = outputs_;
    planOutputs.insert(planOutputs.end(), logged_.begin(), logged_.end());
    PlanCache plans(program_, store_, Mode::Training, planOutputs,
                    rankSeed(s_.seed, comm_->rank()));
    TrainStep step(program_, store_, optimizer_.get(), s_, bindings_, perEpoch_);
    prediction_ = outputs_.size() > 1 ? outputs_[1] : "";
    std::optional<DataParallelStep> dp;
    if (distributed_)
      dp.emplace(*comm_, step, store_, opt_.accumulate, prediction_, labelField_, classes_,
                 logged_, size_t(opt_.bucketMiB * (1 << 20) / sizeof(float)));
    dp_ = dp ? &*dp : nullptr;
    bool stop = false;
    for (; at_.epoch < s_.epochs && !stop; ++at_.epoch, at_.positionInEpoch = 0) {
      batches_.start(at_.epoch, at_.positionInEpoch);
      if (log_) log_->startEpoch();
      Batch b;
      while (!stop && batches_.next(&b)) {
        StepOutcome r = runStep(step, plans, b);
        if (syncBuffers_) broadcastBuffers(*comm_, store_);
        const int64_t size = b.size * comm_->size();  // the global batch
        ++at_.step;
        ++at_.positionInEpoch;
        ++stepsThisRun_;
        images_ += size;
        result_.losses.push_back(r.loss);
        if (log_ && !r.outputs.empty()) log_->addOutputs(r.outputs, size);
        if (log_)
          log_->step(at_.step, at_.epoch, at_.positionInEpoch, r.loss, r.correct, size, r.lr);
        if (opt_.checkReplicasEvery > 0 && at_.step % opt_.checkReplicasEvery == 0)
          checkReplicas(*comm_, store_, at_.step);
        const bool midEpoch = at_.positionInEpoch < perEpoch_;
        if (s_.evalEverySteps > 0 && at_.step % s_.evalEverySteps == 0 && midEpoch) {
          if (log_) log_->pause();
          bool isBest = evaluateNow();
          if (s_.checkpointEverySteps == 0) save(isBest);
          if (log_) log_->resume();
        }
        if (s_.checkpointEverySteps > 0 && at_.step % s_.checkpointEverySteps == 0 && midEpoch)
          save(false);
        stop = r.stop || stepLimitReached();
      }
      batches_.stop();
      if (log_) {
        log_->pause();
        trainSeconds_ += log_->epochSeconds();
      }
      if (stop && at_.positionInEpoch < perEpoch_) break;  // interrupted mid-epoch
      // End of epoch: evaluate and checkpoint (position 0 of the next epoch).
      bool isBest = evaluateNow();
      ++at_.epoch;
      at_.positionInEpoch = 0;
      save(isBest);
      if (log_) log_->endEpoch(at_.epoch, evaluator_ ? &result_.test : nullptr);
      --at_.epoch;  // the loop increments it
    }
    result_.interrupted = stop;
    if (stop && at_.positionInEpoch > 0) save(false);
  }

  std::shared_ptr<const Program> program_;
  SolverConfig s_;
  TrainOptions opt_;
  std::shared_ptr<Communicator> comm_;
  bool root_ = true;
  bool distributed_ = false, syncBuffers_ = false;
  DataParallelStep* dp_ = nullptr;
  TrainLog* log_ = nullptr;
  std::string prediction_;
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
  if (!options.comm || options.comm->size() == 1)
    return Trainer(std::move(program), solver, std::move(trainData), std::move(evalData),
                   options)
        .run();
  // Several ranks: a setup error on any rank stops every rank.
  std::optional<Trainer> t;
  std::exception_ptr failure;
  try {
    t.emplace(std::move(program), solver, std::move(trainData), std::move(evalData), options);
  } catch (...) {
    failure = std::current_exception();
  }
  agreeOnFailure(*options.comm, failure);
  return t->run();
}

}  // namespace tapeflow
