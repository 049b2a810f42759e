// train/trainer.cpp - the training loop.
//
// One step: copy the prepared batch into the plan's inputs, forward (tape),
// backward, clip, learning rate from the schedule, optimizer update. Every
// batch is a function of (seed, epoch, index) and dropout seeds are a
// function of (seed, step), so a run resumed from a checkpoint repeats the
// uninterrupted run bit for bit at the same thread count.
#include "train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/dnnl_context.h"
#include "core/plan.h"
#include "frontends/pbtxt/pbtxt_loader.h"
#include "train/data/batch_loader.h"
#include "train/checkpoint.h"
#include "train/metrics.h"
#include "train/optimizer.h"
#include "train/progress.h"
#include "train/schedule.h"
#include "ops/registry.h"

namespace tapeflow {

std::atomic<bool> gStopRequested{false};

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void onSignal(int) { gStopRequested.store(true); }

// Plans for one mode, one per batch size (the last batch may be short).
class PlanCache {
 public:
  PlanCache(std::shared_ptr<const Program> p, ParamStore& s, Mode m,
            std::vector<std::string> outputs, uint64_t seed)
      : program_(std::move(p)), store_(&s), mode_(m), outputs_(std::move(outputs)),
        seed_(seed) {}
  Plan& get(int64_t batch) {
    auto& plan = plans_[batch];
    if (!plan) {
      PlanOptions o;
      o.mode = mode_;
      o.batch = batch;
      o.outputs = outputs_;
      plan = std::make_unique<Plan>(program_, *store_, o);
      plan->setSeed(seed_);
    }
    return *plan;
  }

 private:
  std::shared_ptr<const Program> program_;
  ParamStore* store_;
  Mode mode_;
  std::vector<std::string> outputs_;
  uint64_t seed_;
  std::map<int64_t, std::unique_ptr<Plan>> plans_;
};

struct Names {
  std::string input, label, loss, prediction;
  int64_t classes = 0;
};

Names resolveNames(const Program& p, const SolverConfig& s) {
  Names n;
  n.input = s.inputName;
  n.label = s.labelName;
  auto need = [&](const std::string& name, const char* what) {
    int v = p.findValue(name);
    if (v < 0 || p.value(v).kind != ValueKind::Input)
      throw UsageError(p.graph().loc, "", "",
                       std::string("the graph has no input named '") + name +
                           "' (the " + what + "; set it with --" +
                           (std::string(what) == "image input" ? "input-name" : "label-name") + ")");
  };
  need(n.input, "image input");
  need(n.label, "label input");
  if (p.lossValue() < 0)
    throw GraphError(p.graph().loc, "", "", "the graph declares no loss; training needs one");
  if (p.predictionValue() < 0)
    throw GraphError(p.graph().loc, "", "",
                     "the graph declares no prediction (the logits to evaluate)");
  n.loss = p.value(p.lossValue()).name;
  n.prediction = p.value(p.predictionValue()).name;
  const Dims& d = p.value(p.predictionValue()).dims;
  n.classes = d.empty() ? 0 : d.back();
  return n;
}

// Checks that the loader's images fit the graph's image input.
void checkInputFits(const Program& p, const Names& n, const BatchLoader& loader,
                    const data::Dataset& d) {
  const Dims& want = p.value(p.findValue(n.input)).dims;
  Dims have{-1, 1, loader.imageRows(), loader.imageCols()};
  if (want.size() != 4 || want[1] != 1 || want[2] != have[2] || want[3] != have[3])
    throw DataError({d.imagesPath, 0, 0}, "", "",
                    "images are " + std::to_string(d.images.rows) + "x" +
                        std::to_string(d.images.cols) + " (after padding " +
                        dimsStr(have, true) + "), the model input '" + n.input +
                        "' expects " + dimsStr(want, true) +
                        "; set pad_to in the solver or --pad-to");
}

void copyBatch(Plan& plan, const Names& n, const Batch& b) {
  std::memcpy(plan.inputMemory(n.input).get_data_handle(), b.images.data(),
              b.images.size() * sizeof(float));
  std::memcpy(plan.inputMemory(n.label).get_data_handle(), b.labels.data(),
              b.labels.size() * sizeof(int32_t));
}

int64_t countCorrect(const std::vector<float>& logits, const std::vector<int32_t>& labels,
                     int64_t classes, std::vector<int64_t>* confusion) {
  int64_t correct = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const float* row = logits.data() + i * size_t(classes);
    int64_t best = std::max_element(row, row + classes) - row;
    correct += best == labels[i];
    if (confusion) (*confusion)[size_t(labels[i] * classes + best)]++;
  }
  return correct;
}

EvalResult evaluate(PlanCache& plans, BatchLoader& loader, const Names& n) {
  EvalResult r;
  r.classes = n.classes;
  r.confusion.assign(size_t(n.classes * n.classes), 0);
  auto t0 = Clock::now();
  loader.start(0, 0);
  Batch b;
  while (loader.next(&b)) {
    Plan& plan = plans.get(b.size);
    copyBatch(plan, n, b);
    plan.forward();
    r.loss += double(plan.readScalar(n.loss)) * double(b.size);
    r.correct += countCorrect(plan.readValue(n.prediction), b.labels, n.classes, &r.confusion);
    r.samples += b.size;
  }
  r.loss /= double(std::max<int64_t>(r.samples, 1));
  r.seconds = secondsSince(t0);
  return r;
}

TransformConfig transformOf(const SolverConfig& s, bool training) {
  TransformConfig t;
  t.padTo = s.padTo;
  t.normalize = s.normalize;
  t.mean = s.mean;
  t.stddev = s.stddev;
  t.randomShift = training ? s.randomShift : 0;
  t.shuffle = training && s.shuffle;
  return t;
}

std::vector<std::pair<std::string, Dims>> paramShapes(const Program& p) {
  std::vector<std::pair<std::string, Dims>> out;
  for (const ParamDef& d : p.graph().params) out.emplace_back(d.name, d.dims);
  return out;
}

CheckpointTensor tensorOf(const std::string& name, const Dims& dims, const float* data) {
  CheckpointTensor t;
  t.name = name;
  t.dims = dims;
  t.data.assign(data, data + numel(dims));
  return t;
}

}  // namespace

void installStopHandler() {
  struct sigaction sa {};
  sa.sa_handler = onSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;  // a second signal ends the process at once
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

uint64_t modelFingerprint(const Program& p) {
  std::string s = p.graph().name + "\n";
  for (const ParamDef& d : p.graph().params) s += "param " + d.name + dimsStr(d.dims) + "\n";
  for (const InputDef& d : p.graph().inputs) s += "input " + d.name + dimsStr(d.dims) + "\n";
  for (const Node& n : p.graph().nodes) {
    s += "node " + n.name + " " + n.op;
    for (const auto& i : n.inputs) s += " <" + i;
    for (const auto& o : n.outputs) s += " >" + o;
    for (const auto& [k, v] : n.attrs) s += " " + k + "=" + v.str();
    s += "\n";
  }
  return fnv1a64(s.data(), s.size());
}

void loadParams(const std::string& path, const Program& program, ParamStore& store) {
  CheckpointData ck = readCheckpoint(path);
  checkCompatible(ck, path, paramShapes(program), modelFingerprint(program));
  for (const CheckpointTensor& t : ck.params)
    for (int k = 0; k < store.numParams(); ++k)
      if (store.def(k).name == t.name)
        std::memcpy(store.data(k), t.data.data(), t.data.size() * sizeof(float));
}

EvalResult evaluateDir(std::shared_ptr<const Program> program, ParamStore& store,
                       const SolverConfig& solver, const std::string& split) {
  Names n = resolveNames(*program, solver);
  data::Dataset d = data::loadMnistDir(solver.data, split, int(n.classes));
  BatchLoader loader(d, transformOf(solver, false), solver.batchSize, solver.seed);
  checkInputFits(*program, n, loader, d);
  PlanCache plans(program, store, Mode::Inference, {n.loss, n.prediction}, solver.seed);
  return evaluate(plans, loader, n);
}

void printEval(FILE* out, const EvalResult& r, const std::string& title) {
  std::fprintf(out, "%s accuracy: %.2f%% (%lld/%lld), loss %.4f\n", title.c_str(),
               100.0 * r.accuracy(), static_cast<long long>(r.correct),
               static_cast<long long>(r.samples), r.loss);
  std::fprintf(out, "confusion matrix (rows: true class, columns: predicted):\n     ");
  for (int64_t c = 0; c < r.classes; ++c) std::fprintf(out, "%6lld", static_cast<long long>(c));
  std::fprintf(out, "\n");
  for (int64_t t = 0; t < r.classes; ++t) {
    std::fprintf(out, "%5lld", static_cast<long long>(t));
    for (int64_t p = 0; p < r.classes; ++p)
      std::fprintf(out, "%6lld", static_cast<long long>(r.confusion[size_t(t * r.classes + p)]));
    std::fprintf(out, "\n");
  }
}

TrainResult train(const TrainOptions& opt) {
  const SolverConfig& s = opt.solver;
  if (s.threads > 0) setNumThreads(s.threads);
  auto program = Program::build(loadGraphFile(opt.modelPath), ops::registry());
  const Program& p = *program;
  Names n = resolveNames(p, s);
  // Data first: a bad file fails before anything is written.
  data::Dataset trainSet = data::loadMnistDir(s.data, "train", int(n.classes));
  data::Dataset testSet = data::loadMnistDir(s.data, "test", int(n.classes));
  BatchLoader trainLoader(trainSet, transformOf(s, true), s.batchSize, s.seed);
  BatchLoader testLoader(testSet, transformOf(s, false), s.batchSize, s.seed);
  checkInputFits(p, n, trainLoader, trainSet);
  checkInputFits(p, n, testLoader, testSet);

  ParamStore store(program);
  store.initialize(s.seed);
  auto optimizer = Optimizer::create(s, store);
  CheckpointDir ckdir(opt.outDir, s.keepCheckpoints);
  const uint64_t fingerprint = modelFingerprint(p);
  const uint64_t dataFingerprint = trainSet.fingerprint ^ (testSet.fingerprint * 31);

  int64_t step = 0, epoch = 0, position = 0, bestStep = -1;
  double best = -1;
  if (opt.resume) {
    std::string path = ckdir.latest();
    CheckpointData ck = readCheckpoint(path);
    checkCompatible(ck, path, paramShapes(p), fingerprint);
    if (ck.dataFingerprint != dataFingerprint)
      throw DataError({path, 0, 0}, "", "",
                      "checkpoint was trained on other data (fingerprint " +
                          std::to_string(ck.dataFingerprint) + "), found " +
                          std::to_string(dataFingerprint) + " in " + s.data);
    for (const CheckpointTensor& t : ck.params)
      for (int k = 0; k < store.numParams(); ++k)
        if (store.def(k).name == t.name)
          std::memcpy(store.data(k), t.data.data(), t.data.size() * sizeof(float));
    auto state = optimizer->state();
    if (ck.optimizerState.size() != state.size())
      throw DataError({path, 0, 0}, "", "",
                      "checkpoint holds " + std::to_string(ck.optimizerState.size()) +
                          " optimizer tensors, the " + s.optimizer + " optimizer needs " +
                          std::to_string(state.size()) + " (was it saved with another optimizer?)");
    for (auto& [name, buf] : state) {
      auto it = std::find_if(ck.optimizerState.begin(), ck.optimizerState.end(),
                             [&](const CheckpointTensor& t) { return t.name == name; });
      if (it == ck.optimizerState.end() || it->data.size() != buf->size())
        throw DataError({path, 0, 0}, "", "",
                        "checkpoint has no optimizer state '" + name + "' of " +
                            std::to_string(buf->size()) + " values");
      *buf = it->data;
    }
    optimizer->setSteps(ck.optimizerSteps);
    step = ck.step;
    epoch = ck.epoch;
    position = ck.positionInEpoch;
    best = ck.bestMetric;
    bestStep = ck.bestStep;
  }
  std::filesystem::create_directories(opt.outDir);
  {
    std::ofstream f(opt.outDir + "/solver.pbtxt");
    f << solverToText(s);
  }
  // On resume, records after the checkpoint (work that is redone) are
  // dropped and the curves continue from the log.
  MetricsLog metrics(opt.outDir + "/metrics.jsonl", opt.resume ? step : -1);
  std::vector<MetricPoint> trainCurve, evalCurve;
  if (opt.resume) {
    MetricsHistory h = readMetrics(metrics.path());
    trainCurve = std::move(h.train);
    evalCurve = std::move(h.eval);
  }
  Progress progress(opt.out);

  PlanCache trainPlans(program, store, Mode::Training, {n.loss, n.prediction}, s.seed);
  PlanCache evalPlans(program, store, Mode::Inference, {n.loss, n.prediction}, s.seed);
  const int64_t perEpoch = trainLoader.batchesPerEpoch();

  TrainResult result;
  auto saveCheckpoint = [&](bool isBest) {
    CheckpointData ck;
    ck.modelName = p.graph().name;
    ck.modelFingerprint = fingerprint;
    ck.dataFingerprint = dataFingerprint;
    ck.step = step;
    ck.epoch = epoch;
    ck.positionInEpoch = position;
    ck.seed = s.seed;
    ck.threads = numThreads();
    ck.bestMetric = best;
    ck.bestStep = bestStep;
    ck.solverText = solverToText(s);
    for (int k = 0; k < store.numParams(); ++k)
      ck.params.push_back(tensorOf(store.def(k).name, store.def(k).dims, store.data(k)));
    for (auto& [name, buf] : optimizer->state())
      ck.optimizerState.push_back(tensorOf(name, {int64_t(buf->size())}, buf->data()));
    ck.optimizerSteps = optimizer->steps();
    result.checkpoint = ckdir.save(ck, isBest);
  };

  auto runEval = [&]() {
    EvalResult r = evaluate(evalPlans, testLoader, n);
    bool isBest = r.accuracy() > best;
    if (isBest) {
      best = r.accuracy();
      bestStep = step;
    }
    MetricPoint mp;
    mp.step = step;
    mp.epoch = double(step) / double(perEpoch);
    mp.loss = r.loss;
    mp.accuracy = r.accuracy();
    evalCurve.push_back(mp);
    metrics.logEval(mp, r.accuracy(), r.loss);
    result.test = r;
    return isBest;
  };

  const auto tStart = Clock::now();
  double trainSeconds = 0;
  int64_t images = 0, stepsThisRun = 0;
  double runLoss = 0, runCorrect = 0, runSeen = 0;
  double epochLoss = 0, epochCorrect = 0, epochSeen = 0;
  auto tInterval = Clock::now();
  int64_t imagesInterval = 0;
  bool stop = false;
  for (; epoch < s.epochs && !stop; ++epoch, position = 0) {
    trainLoader.start(epoch, position);
    Batch b;
    auto tEpoch = Clock::now();
    while (!stop && trainLoader.next(&b)) {
      Plan& plan = trainPlans.get(b.size);
      copyBatch(plan, n, b);
      plan.setStep(uint64_t(step));
      plan.forward();
      float loss = plan.readScalar(n.loss);
      if (!std::isfinite(loss)) {
        // Find the first node whose output went non-finite, then stop; the
        // last good checkpoint is left as it is.
        PlanOptions o;
        o.batch = b.size;
        o.outputs = {n.loss};
        o.checkNumerics = true;
        Plan check(program, store, o);
        check.setSeed(s.seed);
        check.setStep(uint64_t(step));
        copyBatch(check, n, b);
        std::string where = "no node output was non-finite on re-run";
        try {
          check.forward();
        } catch (const NumericError& e) {
          where = e.what();
        }
        throw NumericError({opt.modelPath, 0, 0}, "", "",
                           "loss is " + std::to_string(loss) + " at step " +
                               std::to_string(step) + " (epoch " + std::to_string(epoch + 1) +
                               "); first non-finite value: " + where +
                               "; last checkpoint kept: " +
                               (result.checkpoint.empty() ? "none" : result.checkpoint));
      }
      plan.backward();
      clipGradNorm(store, s.clipNorm);
      float lr = learningRate(s, step, perEpoch);
      optimizer->step(lr);
      ++step;
      ++position;
      ++stepsThisRun;
      images += b.size;
      imagesInterval += b.size;
      result.losses.push_back(loss);
      int64_t correct = countCorrect(plan.readValue(n.prediction), b.labels, n.classes, nullptr);
      runLoss += loss * double(b.size);
      runCorrect += double(correct);
      runSeen += double(b.size);
      epochLoss += loss * double(b.size);
      epochCorrect += double(correct);
      epochSeen += double(b.size);
      auto progressState = [&]() {
        ProgressState ps;
        ps.epoch = int(epoch + 1);
        ps.epochs = int(s.epochs);
        ps.step = position;
        ps.steps = perEpoch;
        ps.loss = runSeen > 0 ? runLoss / runSeen : NAN;
        ps.accuracy = runSeen > 0 ? runCorrect / runSeen : NAN;
        ps.lr = lr;
        double dt = secondsSince(tInterval);
        ps.imagesPerSecond = dt > 0 ? double(imagesInterval) / dt : 0;
        ps.epochSeconds = secondsSince(tEpoch);
        return ps;
      };
      if (!opt.quiet) progress.tick(progressState());
      if (s.logEverySteps > 0 && step % s.logEverySteps == 0) {
        double dt = secondsSince(tInterval);
        MetricPoint mp;
        mp.step = step;
        mp.epoch = double(step) / double(perEpoch);
        mp.loss = runLoss / runSeen;
        mp.accuracy = runCorrect / runSeen;
        mp.lr = lr;
        mp.imagesPerSecond = dt > 0 ? double(imagesInterval) / dt : 0;
        mp.wallTime = secondsSince(tStart);
        trainCurve.push_back(mp);
        metrics.logTrain(mp);
        if (!opt.quiet) progress.update(progressState());
        runLoss = runCorrect = runSeen = 0;
        tInterval = Clock::now();
        imagesInterval = 0;
      }
      if (s.evalEverySteps > 0 && step % s.evalEverySteps == 0 && position < perEpoch) {
        trainSeconds += secondsSince(tEpoch);
        bool isBest = runEval();
        if (s.checkpointEverySteps == 0) saveCheckpoint(isBest);
        tEpoch = Clock::now();
      }
      if (s.checkpointEverySteps > 0 && step % s.checkpointEverySteps == 0 &&
          position < perEpoch)
        saveCheckpoint(false);
      if (gStopRequested.load() ||
          (opt.stopAfterSteps >= 0 && stepsThisRun >= opt.stopAfterSteps))
        stop = true;
    }
    trainLoader.stop();
    double epochSeconds = secondsSince(tEpoch);
    trainSeconds += epochSeconds;
    if (stop && position < perEpoch) break;  // interrupted mid-epoch
    // End of epoch: evaluate and checkpoint (position 0 of the next epoch).
    bool isBest = runEval();
    ++epoch;
    position = 0;
    saveCheckpoint(isBest);
    --epoch;  // the loop increments it
    if (!opt.quiet) {
      EpochSummary es;
      es.epoch = int(epoch + 1);
      es.epochs = int(s.epochs);
      es.loss = epochLoss / std::max(epochSeen, 1.0);
      es.accuracy = epochCorrect / std::max(epochSeen, 1.0);
      es.testLoss = result.test.loss;
      es.testAccuracy = result.test.accuracy();
      es.seconds = epochSeconds;
      progress.endEpoch(es);
    }
    epochLoss = epochCorrect = epochSeen = 0;
  }
  if (!opt.quiet) progress.finish();
  result.interrupted = stop;
  if (stop && position > 0) saveCheckpoint(false);
  result.steps = step;
  result.imagesPerSecond = trainSeconds > 0 ? double(images) / trainSeconds : 0;
  writeCurves(opt.outDir + "/curves.svg", trainCurve, evalCurve);
  return result;
}

}  // namespace tapeflow
