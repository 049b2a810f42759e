// tools/cmd_train.cpp - train, eval and predict.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <thread>

#include "core/dnnl_context.h"
#include "core/path_guard.h"
#include "core/param_store.h"
#include "core/plan.h"
#include "frontends/pbtxt/pbtxt_loader.h"
#include "train/data/batcher.h"
#include "train/data/image_reader.h"
#include "train/distributed/communicator.h"
#include "train/solver.h"
#include "train/trainer.h"
#include "tools/cli.h"
#include "tools/memory_flags.h"
#include "tools/run_dir.h"
#include "tools/run_model.h"
#include "tools/stop_signal.h"

namespace tapeflow::cli {
namespace {

constexpr const char* kTrainUsage =
    "tapeflow train --model FILE [--solver FILE] [--data DIR] [--out DIR] [--overwrite] "
    "[--init-from CKPT] [solver flags], or tapeflow train --resume DIR [--model FILE] "
    "[solver flags]";

// Flags of train/eval/predict that are not solver fields.
bool isCommandFlag(const std::string& f) {
  for (const char* k : {"model", "solver", "out", "resume", "checkpoint", "help", "top", "raw",
                        "overwrite", "init-from", "init-skip-mismatched", "accumulate",
                        "bucket-mb", "check-replicas", "collective-timeout", "mem-limit"})
    if (f == k) return true;
  return false;
}

SolverConfig solverFrom(const Args& a) {
  SolverConfig s;
  if (a.has("solver")) s = loadSolverFile(a.get("solver"));
  for (const auto& [flag, value] : a.flags)
    if (!isCommandFlag(flag)) applyOverride(s, flag, value);
  return s;
}

std::string requireFlag(const Args& a, const char* flag, const char* usage) {
  if (!a.has(flag) || a.get(flag).empty())
    throw UsageError({}, "", "", std::string("--") + flag + " is required; usage: " + usage);
  return a.get(flag);
}

// One split of the MNIST-style directory solver.data; labels are checked
// against the prediction's classes.
std::shared_ptr<const DataSource> idxSplit(const Program& p, const SolverConfig& s,
                                           const std::string& split) {
  int64_t classes = predictionClasses(p);
  return std::make_shared<IdxDirSource>(s.data, split,
                                        int(classes >= 1 && classes <= 256 ? classes : 256));
}

// eval and predict: the solver of the command line, with the data
// transforms the checkpoint was trained with unless --solver or a flag sets
// them.
SolverConfig evalSolverFrom(const Args& a, const CheckpointData& ck,
                            const std::string& checkpoint) {
  SolverConfig s = solverFrom(a);
  if (a.has("solver")) return s;
  if (ck.solverText.empty()) return s;
  SolverConfig t = parseSolverText(ck.solverText, checkpoint);
  if (!a.has("pad-to")) s.padTo = t.padTo;
  if (!a.has("normalize")) s.normalize = t.normalize;
  if (!a.has("mean")) s.mean = t.mean;
  if (!a.has("std")) s.stddev = t.stddev;
  return s;
}

// Words the library's structured errors for the command line.
template <class F>
auto withFlagHints(F&& f) {
  try {
    return f();
  } catch (const UnboundInputError& e) {
    throw UsageError(e.loc(), "", "",
                     e.message() + "; --input-name and --label-name choose the graph inputs "
                                   "the 'image' and 'label' fields feed");
  }
}


// The solver of a resumed run: its stored recipe with the safe changes
// the command line asks for.
SolverConfig resumedSolver(const Args& a, const StoredRun& run, const std::string& dir,
                           std::vector<std::string>* changes) {
  SolverConfig s = run.solver;
  if (a.has("solver")) s = loadSolverFile(a.get("solver"));
  for (const auto& [flag, value] : a.flags)
    if (!isCommandFlag(flag)) applyOverride(s, flag, value);
  *changes = checkResumeChanges(run.solver, s);
  checkNotFinished(dir, run.epoch, run.step, s);
  return s;
}

// Refuses a run directory that is, or is inside, an input.
void guardRunDir(const std::string& dir, const std::string& role, const std::string& model,
                 const SolverConfig& s, const Args& a) {
  std::vector<IoPath> inputs = {{s.data, "data directory", true}};
  if (!model.empty()) inputs.push_back({model, "--model", false});
  if (a.has("solver")) inputs.push_back({a.get("solver"), "--solver", false});
  if (a.has("init-from")) inputs.push_back({a.get("init-from"), "--init-from", false});
  checkOutputsAgainstInputs({{dir, role, true}}, inputs);
}

// The --model of `train --resume DIR` for the run-directory guard: none
// when it is DIR's own model.pbtxt, which a resumed run never rewrites.
std::string guardedModel(const Args& a, const std::string& dir) {
  std::error_code ec;
  if (!a.has("model") || std::filesystem::equivalent(a.get("model"), dir + "/model.pbtxt", ec))
    return "";
  return a.get("model");
}

// Everything before training starts: graph, solver, run directory (created
// by rank 0 only), options. Run on every rank; resuming without --model,
// only rank 0 has the graph (trainOnRanks sends it to the others).
void setupTrain(const Args& a, const Communicator& comm, TrainOptions* o, SolverConfig* s,
                std::vector<std::string>* changes, RunModel* model) {
  const bool root = comm.rank() == 0;
  if (!a.has("resume")) {
    const std::string file = requireFlag(a, "model", kTrainUsage);
    *model = {loadProgram(file), file};  // before any run directory is made
  } else if (a.has("model") && !root) {
    *model = {loadProgram(a.get("model")), a.get("model")};
  }
  const std::string& modelPath = model->source;
  const int64_t accumulate = a.getInt("accumulate", 1);
  const int64_t check = a.getInt("check-replicas", 0);
  if (accumulate < 1 || accumulate > 4096)
    throw UsageError({}, "", "", "--accumulate must be in [1, 4096], found " +
                                     std::to_string(accumulate));
  if (check < 0)
    throw UsageError({}, "", "", "--check-replicas must not be negative, found " +
                                     std::to_string(check));
  const double bucketMiB = a.getFloat("bucket-mb", 1);
  if (!(bucketMiB >= 0 && bucketMiB <= 4096))
    throw UsageError({}, "", "", "--bucket-mb must be in [0, 4096], found " + a.get("bucket-mb"));
  o->accumulate = int(accumulate);
  o->bucketMiB = bucketMiB;
  o->checkReplicasEvery = check;
  if (a.has("resume")) {
    if (a.has("out"))
      throw UsageError({}, "", "", "--resume continues the run in its own directory; "
                                   "--out starts a new one: give one of them");
    if (a.has("init-from") || a.has("overwrite"))
      throw UsageError({}, "", "", std::string(a.has("overwrite") ? "--overwrite" : "--init-from") +
                                       " starts a new run; --resume continues one");
    o->runDir = a.get("resume");
    o->resume = true;
    if (!root) return;  // rank 0 reads the run's recipe (under its lock) and sends it
    const StoredRun run = readStoredRun(o->runDir);
    *model = resumedModel(a, run, o->runDir);
    *s = resumedSolver(a, run, o->runDir, changes);
    checkMemoryFlag(a, *model->program, *s, true, model->source);
    guardRunDir(o->runDir, "--resume", guardedModel(a, o->runDir), *s, a);
  } else {
    *s = solverFrom(a);
    checkMemoryFlag(a, *model->program, *s, true, modelPath);
    if (a.has("out")) {
      o->runDir = a.get("out");
      guardRunDir(o->runDir, "--out", modelPath, *s, a);
      if (root) prepareOutDir(o->runDir, a.has("overwrite"));
    } else {
      if (a.has("overwrite")) throw UsageError({}, "", "", "--overwrite needs --out DIR");
      const std::string base = "runs/" + std::filesystem::path(modelPath).stem().string();
      guardRunDir(base, "run directory", modelPath, *s, a);
      if (root) o->runDir = createFreshRunDir(base);
    }
    o->initFrom = a.get("init-from");
    o->initSkipMismatched = a.has("init-skip-mismatched");
  }
}

// Worker threads of a rank: the solver's, or with 0 (all cores) the cores
// shared out among the ranks of this machine.
int threadsPerRank(const SolverConfig& s, const Communicator& comm) {
  if (s.threads > 0 || comm.size() == 1) return s.threads;
  int local = comm.size();
  if (const char* v = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE")) local = std::max(1, std::atoi(v));
  return std::max(1, int(std::thread::hardware_concurrency()) / local);
}

int trainOnRanks(const Args& a, const std::shared_ptr<Communicator>& comm) {
  TrainOptions o;
  SolverConfig s;
  std::vector<std::string> changes;
  RunModel model;
  std::exception_ptr failure;
  try {
    setupTrain(a, *comm, &o, &s, &changes, &model);
  } catch (...) {
    failure = std::current_exception();
  }
  agreeOnFailure(*comm, failure);
  comm->broadcast(&o.runDir, 0);
  if (comm->size() > 1) {  // every rank trains with rank 0's recipe
    std::string text = comm->rank() == 0 ? solverToText(s) : "";
    comm->broadcast(&text, 0);
    if (comm->rank() != 0) s = parseSolverText(text, "the solver of rank 0");
  }
  if (comm->size() > 1 && o.resume && !a.has("model")) {  // and its stored graph
    // Without values: every rank restores the params from the checkpoint.
    std::string text = comm->rank() == 0 ? graphStructureText(model.program->declaredGraph()) : "";
    comm->broadcast(&text, 0);
    if (comm->rank() != 0) model = {programFromText(text, "the graph of rank 0"), ""};
  }
  std::shared_ptr<const Program> program = model.program;
  o.comm = comm;
  if (comm->rank() == 0) setRunGraph(*program, &o);
  o.cancel = &installStopHandler(o.runDir, comm->size() == 1);
  setNumThreads(threadsPerRank(s, *comm));
  const bool root = comm->rank() == 0;
  o.quiet = !root;
  if (root) {
    std::printf("%s %s on %s: %s, lr %g, batch %lld, %lld epoch%s, %d threads -> %s\n",
                o.resume ? "resuming" : "training", model.source.c_str(), s.data.c_str(),
                s.optimizer.c_str(), double(s.lr), static_cast<long long>(s.batchSize),
                static_cast<long long>(s.epochs), s.epochs == 1 ? "" : "s", numThreads(),
                o.runDir.c_str());
    if (comm->size() > 1)
      std::printf("data parallel: %s, %lld images per rank and step%s\n",
                  comm->describe().c_str(), static_cast<long long>(s.batchSize / comm->size()),
                  o.accumulate > 1
                      ? (" in " + std::to_string(o.accumulate) + " micro-batches").c_str()
                      : "");
    for (const std::string& c : changes) std::printf("%s\n", c.c_str());
    std::fflush(stdout);
  }
  TrainResult r = withFlagHints([&] {
    return train(program, s, idxSplit(*program, s, "train"), idxSplit(*program, s, "test"), o);
  });
  if (root) {
    std::printf("\n");
    printEval(stdout, r.test, r.interrupted ? "test (last evaluation)" : "test");
    std::printf("training throughput: %.1f images/s (%lld steps)\n", r.imagesPerSecond,
                static_cast<long long>(r.steps));
    if (comm->size() > 1)
      std::printf("allreduce: %.2f ms per step on rank 0, waits for the slowest rank included "
                  "(%.1f%% of training time)\n",
                  r.steps > 0 && !r.losses.empty()
                      ? 1e3 * r.allreduceSeconds / double(r.losses.size()) : 0.0,
                  r.imagesPerSecond > 0
                      ? 100.0 * r.allreduceSeconds /
                            (double(r.losses.size() * size_t(s.batchSize)) / r.imagesPerSecond)
                      : 0.0);
    if (!r.checkpoint.empty()) std::printf("checkpoint: %s\n", r.checkpoint.c_str());
    if (r.interrupted) std::printf("interrupted: resume with --resume %s\n", o.runDir.c_str());
  }
  return r.interrupted ? 130 : 0;
}

}  // namespace

int cmdTrain(const Args& a) {
  std::shared_ptr<Communicator> comm = openWorld(a.getFloat("collective-timeout", 300));
  try {
    return trainOnRanks(a, comm);
  } catch (const DistributedError& e) {
    if (comm->rank() != 0) return int(e.exitCode());  // rank 0 reports it
    throw;
  } catch (...) {
    // An error only this rank saw, outside any agreement point: the others
    // would wait for it forever, so the job ends here.
    if (comm->size() == 1) throw;
    auto [text, code] = describeException(std::current_exception());
    comm->abort(text, int(code));
    return int(code);  // not reached: abort ends the process
  }
}

int cmdEval(const Args& a) {
  const char* usage = "tapeflow eval --checkpoint FILE [--model FILE] [--data DIR] [--batch N]";
  const std::string checkpoint = requireFlag(a, "checkpoint", usage);
  // With --model, memory is checked before the checkpoint is read.
  std::optional<CheckpointData> ck;
  if (!a.has("model")) ck = readCheckpoint(checkpoint);
  const RunModel model = checkpointModel(a, ck ? &*ck : nullptr, checkpoint);
  const auto& program = model.program;
  checkMemoryFlag(a, *program, solverFrom(a), false, model.source);
  if (!ck) ck = readCheckpoint(checkpoint);
  SolverConfig s = evalSolverFrom(a, *ck, checkpoint);
  setNumThreads(s.threads);
  ParamStore store(program);
  store.initialize(s.seed);
  restoreCheckpoint(*ck, checkpoint, *program, store, nullptr);
  EvalResult r =
      withFlagHints([&] { return evaluate(program, store, s, idxSplit(*program, s, "test")); });
  printEval(stdout, r, "test");
  std::printf("throughput: %.1f images/s\n", r.seconds > 0 ? double(r.samples) / r.seconds : 0);
  return 0;
}

int cmdPredict(const Args& a) {
  const char* usage = "tapeflow predict --checkpoint FILE [--model FILE] IMAGE.pgm|png";
  requirePositional(a, 1, usage);
  const std::string checkpoint = requireFlag(a, "checkpoint", usage);
  // With --model, the graph is checked before the checkpoint is read.
  std::optional<CheckpointData> ck;
  if (!a.has("model")) ck = readCheckpoint(checkpoint);
  const auto program = checkpointModel(a, ck ? &*ck : nullptr, checkpoint).program;
  const Program& p = *program;
  if (p.predictionValue() < 0)
    throw GraphError(p.graph().loc, "", "", "the graph declares no prediction");
  if (predictionClasses(p) < 1)  // a regressed value or a reconstruction
    throw GraphError(p.graph().loc, "", "",
                     "predict ranks classes; the prediction '" + p.value(p.predictionValue()).name +
                         "' " + dimsStr(p.value(p.predictionValue()).dims, true) +
                         " has none (it needs [N, C], C > 1)");
  if (!ck) ck = readCheckpoint(checkpoint);
  SolverConfig s = evalSolverFrom(a, *ck, checkpoint);
  ParamStore store(program);
  store.initialize(s.seed);
  restoreCheckpoint(*ck, checkpoint, *program, store, nullptr);
  int in = p.findValue(s.inputName);
  if (in < 0)
    throw UsageError(p.graph().loc, "", "", "the graph has no input '" + s.inputName + "'");
  const Dims& d = p.value(in).dims;
  if (d.size() != 4 || d[2] != d[3])
    throw ShapeError(p.graph().loc, "", "",
                     "predict needs a square image input [N,1,S,S], found " + dimsStr(d, true));
  data::GrayImage img = data::readImage(a.positional[0]);
  std::vector<float> x = a.has("raw") ? data::rawResized(img, int(d[2]))
                                      : data::mnistStyle(img, int(d[2]), true);
  for (float& v : x) v *= 255.f;  // back to raw intensities, as the data sources give
  normalizeIntensities(x.data(), int64_t(x.size()), transformFor(s, false));
  PlanOptions o;
  o.mode = Mode::Inference;
  o.batch = 1;
  o.outputs = {p.value(p.predictionValue()).name};
  Plan plan(program, store, o);
  std::copy(x.begin(), x.end(), static_cast<float*>(plan.inputMemory(s.inputName).get_data_handle()));
  plan.forward();
  std::vector<float> logits = plan.readValue(p.predictionValue());
  float mx = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  std::vector<double> prob(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) sum += prob[i] = std::exp(double(logits[i] - mx));
  std::vector<size_t> idx(prob.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::sort(idx.begin(), idx.end(), [&](size_t x1, size_t x2) { return prob[x1] > prob[x2]; });
  size_t top = size_t(std::max<int64_t>(1, a.getInt("top", 3)));
  std::printf("%s:\n", a.positional[0].c_str());
  for (size_t k = 0; k < std::min(top, idx.size()); ++k)
    std::printf("  class %zu  %.2f%%\n", idx[k], 100.0 * prob[idx[k]] / sum);
  return 0;
}

}  // namespace tapeflow::cli
