// tools/cmd_train.cpp - train, eval and predict.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/dnnl_context.h"
#include "core/param_store.h"
#include "core/plan.h"
#include "train/data/batcher.h"
#include "train/data/image_reader.h"
#include "train/solver.h"
#include "train/trainer.h"
#include "tools/cli.h"
#include "tools/stop_signal.h"

namespace tapeflow::cli {
namespace {

constexpr const char* kTrainUsage =
    "tapeflow train --model FILE [--solver FILE] [--data DIR] [--out DIR | --resume DIR] "
    "[solver flags]";

// Flags of train/eval/predict that are not solver fields.
bool isCommandFlag(const std::string& f) {
  for (const char* k : {"model", "solver", "out", "resume", "checkpoint", "help", "top", "raw"})
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

}  // namespace

int cmdTrain(const Args& a) {
  TrainOptions o;
  const std::string modelPath = requireFlag(a, "model", kTrainUsage);
  const SolverConfig s = solverFrom(a);
  if (a.has("resume")) {
    o.runDir = a.get("resume");
    o.resume = true;
  } else {
    o.runDir = a.get("out", "runs/" + std::filesystem::path(modelPath).stem().string());
  }
  o.cancel = &installStopHandler();
  setNumThreads(s.threads);
  std::printf("training %s on %s: %s, lr %g, batch %lld, %lld epochs, %d threads -> %s\n",
              modelPath.c_str(), s.data.c_str(), s.optimizer.c_str(), double(s.lr),
              static_cast<long long>(s.batchSize), static_cast<long long>(s.epochs),
              numThreads(), o.runDir.c_str());
  std::fflush(stdout);
  auto program = loadProgram(modelPath);
  TrainResult r = withFlagHints([&] {
    return train(program, s, idxSplit(*program, s, "train"), idxSplit(*program, s, "test"), o);
  });
  std::printf("\n");
  printEval(stdout, r.test, r.interrupted ? "test (last evaluation)" : "test");
  std::printf("training throughput: %.1f images/s (%lld steps)\n", r.imagesPerSecond,
              static_cast<long long>(r.steps));
  if (!r.checkpoint.empty()) std::printf("checkpoint: %s\n", r.checkpoint.c_str());
  if (r.interrupted) {
    std::printf("interrupted: resume with --resume %s\n", o.runDir.c_str());
    return 130;
  }
  return 0;
}

int cmdEval(const Args& a) {
  const char* usage = "tapeflow eval --model FILE --checkpoint FILE [--data DIR] [--batch N]";
  auto program = loadProgram(requireFlag(a, "model", usage));
  SolverConfig s = solverFrom(a);
  setNumThreads(s.threads);
  ParamStore store(program);
  store.initialize(s.seed);
  loadParams(requireFlag(a, "checkpoint", usage), *program, store);
  EvalResult r =
      withFlagHints([&] { return evaluate(program, store, s, idxSplit(*program, s, "test")); });
  printEval(stdout, r, "test");
  std::printf("throughput: %.1f images/s\n", r.seconds > 0 ? double(r.samples) / r.seconds : 0);
  return 0;
}

int cmdPredict(const Args& a) {
  const char* usage = "tapeflow predict --model FILE --checkpoint FILE IMAGE.pgm|png";
  requirePositional(a, 1, usage);
  auto program = loadProgram(requireFlag(a, "model", usage));
  SolverConfig s = solverFrom(a);
  ParamStore store(program);
  store.initialize(s.seed);
  loadParams(requireFlag(a, "checkpoint", usage), *program, store);
  const Program& p = *program;
  if (p.predictionValue() < 0)
    throw GraphError(p.graph().loc, "", "", "the graph declares no prediction");
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
