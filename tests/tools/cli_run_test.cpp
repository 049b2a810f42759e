// tests/tools/cli_run_test.cpp - run directories of `tapeflow train`: a
// fresh directory per run, an existing one only with --resume or
// --overwrite, resume with the stored recipe and graph, eval and predict
// with the checkpoint's transforms and graph, --init-from, and a batch
// larger than the training set. Runs the built binary in a scratch
// directory holding a tiny MNIST-style set.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "core/param_store.h"
#include "train/checkpoint.h"
#include "tests/support/text_files.h"
#include "tests/support/scratch_dir.h"
#include "tests/support/tiny_mnist.h"
#include "train/evaluation.h"
#include "train/metrics.h"
#include "tests/support/tree_paths.h"

namespace tapeflow {
namespace {

namespace fs = std::filesystem;
using testing::lines;
using testing::readAll;

std::string firstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

struct CliRun {
  int code = -1;
  std::string out, err;
};

class CliRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(root() / "data");
    testing::writeQuadrantData(root() / "data");
    std::ofstream(root() / "quad.pbtxt") << testing::quadrantModel(4);
    std::ofstream(root() / "quad5.pbtxt") << testing::quadrantModel(5);
  }
  fs::path root() const { return dir_.path(); }

  // `tapeflow ARGS` run in the scratch directory.
  CliRun tapeflow(const std::string& args) const {
    std::string errFile = (root() / "stderr").string();
    std::string cmd = "cd " + root().string() + " && " + tapeflow::paths::cliPath() + " " + args + " 2>" +
                      errFile;
    CliRun r;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return r;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
    int status = ::pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = readAll(errFile);
    return r;
  }
  CliRun train(const std::string& extra) const {
    return tapeflow("train --model quad.pbtxt --data data --pad-to 0 --batch 32 --epochs 1 "
                    "--threads 1 " + extra);
  }

  testing::ScratchDir dir_{"cli_run"};
};

TEST_F(CliRunTest, EveryRunGetsAFreshDirectory) {
  CliRun a = train("");
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_NE(firstLine(a.out).find("-> runs/quad-1"), std::string::npos) << a.out;
  EXPECT_NE(firstLine(a.out).find(" 1 epoch,"), std::string::npos) << a.out;
  const std::string metrics = readAll(root() / "runs/quad-1/metrics.jsonl");
  const std::string best = readAll(root() / "runs/quad-1/best.tfck");
  ASSERT_FALSE(metrics.empty());
  CliRun b = train("--lr 0.02");
  ASSERT_EQ(b.code, 0) << b.err;
  EXPECT_NE(firstLine(b.out).find("-> runs/quad-2"), std::string::npos) << b.out;
  EXPECT_EQ(readAll(root() / "runs/quad-1/metrics.jsonl"), metrics);
  EXPECT_EQ(readAll(root() / "runs/quad-1/best.tfck"), best);
  EXPECT_TRUE(fs::exists(root() / "runs/quad-2/best.tfck"));
}

TEST_F(CliRunTest, AnExistingOutIsRefusedUnlessOverwritten) {
  ASSERT_EQ(train("--out r").code, 0);
  const std::string metrics = readAll(root() / "r/metrics.jsonl");
  CliRun r = train("--out r --lr 0.02");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("--resume r"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--overwrite"), std::string::npos) << r.err;
  EXPECT_EQ(readAll(root() / "r/metrics.jsonl"), metrics);
  r = train("--out r --overwrite --lr 0.02");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(readAll(root() / "r/solver.pbtxt").find("lr: 0.02"), std::string::npos);
  // Never a directory that is not a run, nor the data or inside it.
  fs::create_directories(root() / "notes");
  std::ofstream(root() / "notes/keep.txt") << "mine";
  r = train("--out notes --overwrite");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(readAll(root() / "notes/keep.txt"), "mine");
  for (const char* out : {"data", "data/run"}) {
    r = train(std::string("--out ") + out + " --overwrite");
    EXPECT_EQ(r.code, 2) << out;
    EXPECT_NE(r.err.find("data"), std::string::npos) << r.err;
  }
  EXPECT_FALSE(fs::exists(root() / "data/run"));
  EXPECT_TRUE(fs::exists(root() / "data/train-images-idx3-ubyte"));
}

TEST_F(CliRunTest, ResumeKeepsTheRecipeAndAllowsOnlySafeChanges) {
  ASSERT_EQ(train("--out r --lr 0.05").code, 0);
  CliRun r = tapeflow("train --model quad.pbtxt --resume r");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("finished"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("0/0"), std::string::npos) << r.out;
  r = tapeflow("train --model quad.pbtxt --resume r --epochs 2 --lr 0.1");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("lr"), std::string::npos) << r.err;
  r = tapeflow("train --model quad.pbtxt --resume r --epochs 2 --batch 16");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("batch_size"), std::string::npos) << r.err;
  r = tapeflow("train --model quad.pbtxt --resume r --out s");
  EXPECT_EQ(r.code, 2);
  EXPECT_FALSE(fs::exists(root() / "s"));
  r = tapeflow("train --model quad.pbtxt --resume nothing");
  EXPECT_EQ(r.code, 2);
  EXPECT_FALSE(fs::exists(root() / "nothing"));
  // No --data, --lr or --pad-to: the stored recipe supplies them.
  r = tapeflow("train --model quad.pbtxt --resume r --epochs 2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("epochs 1 -> 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("lr 0.05"), std::string::npos) << r.out;
  const std::string solver = readAll(root() / "r/solver.pbtxt");
  EXPECT_NE(solver.find("epochs: 2"), std::string::npos) << solver;
  EXPECT_NE(solver.find("lr: 0.05"), std::string::npos) << solver;
  EXPECT_TRUE(fs::exists(root() / "r/ckpt-12.tfck"));  // 6 full batches an epoch
  r = tapeflow("train --model quad.pbtxt --resume r --epochs 3 --threads 2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("same thread count"), std::string::npos) << r.out;
  r = tapeflow("train --model quad.pbtxt --resume r --overwrite --epochs 4");
  EXPECT_EQ(r.code, 2);
}

TEST_F(CliRunTest, EvalUsesTheCheckpointsTransforms) {
  ASSERT_EQ(train("--out r --normalize standard").code, 0);
  auto eval = [&](const std::string& flags) {
    CliRun r = tapeflow("eval --model quad.pbtxt --checkpoint r/best.tfck --data data " + flags);
    EXPECT_EQ(r.code, 0) << r.err;
    return firstLine(r.out);
  };
  EXPECT_EQ(eval(""), eval("--normalize standard --pad-to 0"));
  EXPECT_NE(eval(""), eval("--normalize unit"));
}

// The graph travels with the run: a run of two epochs in `full`, and in
// `part` a copy of it as it was after the first epoch (step 6), with
// neither quad.pbtxt nor its own model.pbtxt.
class CliRunGraphTest : public CliRunTest {
 protected:
  void SetUp() override {
    CliRunTest::SetUp();
    CliRun r = tapeflow("train --model quad.pbtxt --data data --pad-to 0 --batch 32 "
                        "--epochs 2 --threads 1 --keep 10 --out full");
    ASSERT_EQ(r.code, 0) << r.err;
    ASSERT_TRUE(fs::exists(root() / "full/ckpt-6.tfck"));
    fs::copy(root() / "full", root() / "part", fs::copy_options::recursive);
    fs::remove(root() / "part/ckpt-12.tfck");
    fs::remove(root() / "part/model.pbtxt");
    std::ofstream(root() / "part/latest") << "ckpt-6.tfck\n";
    fs::rename(root() / "quad.pbtxt", root() / "quad.moved");
  }
  // Rewrites checkpoint `path` (in the scratch directory) with this graph text.
  void setStoredGraph(const std::string& path, const std::string& text) const {
    CheckpointData ck = readCheckpoint((root() / path).string());
    ck.graphText = text;
    writeCheckpoint((root() / path).string(), ck);
  }
};

TEST_F(CliRunGraphTest, ResumeNeedsNoOtherFlagAndContinuesExactly) {
  CliRun r = tapeflow("train --resume part");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(firstLine(r.out).find("resuming the graph stored in part/ckpt-6.tfck on data"),
            std::string::npos) << r.out;
  const std::string full = readAll(root() / "full/ckpt-12.tfck");
  ASSERT_FALSE(full.empty());
  EXPECT_TRUE(readAll(root() / "part/ckpt-12.tfck") == full);  // bit for bit
  // The run directory holds its graph: written at the start, and again by
  // a resume into a directory without it.
  const std::string graph = readAll(root() / "full/model.pbtxt");
  EXPECT_NE(graph.find("name: \"quad\""), std::string::npos) << graph;
  EXPECT_EQ(readAll(root() / "part/model.pbtxt"), graph);
}

TEST_F(CliRunGraphTest, ResumeWithAnotherModelIsRefusedNamingBoth) {
  const std::string latest = readAll(root() / "part/latest");
  const std::string metrics = readAll(root() / "part/metrics.jsonl");
  CliRun r = tapeflow("train --resume part --model quad5.pbtxt");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("--model quad5.pbtxt"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("part/ckpt-6.tfck"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("fingerprint"), std::string::npos) << r.err;
  EXPECT_EQ(readAll(root() / "part/latest"), latest);
  EXPECT_EQ(readAll(root() / "part/metrics.jsonl"), metrics);
  EXPECT_FALSE(fs::exists(root() / "part/ckpt-12.tfck"));
  EXPECT_FALSE(fs::exists(root() / "part/model.pbtxt"));
  // The run's own model.pbtxt is the same graph, and never rewritten.
  fs::copy_file(root() / "full/model.pbtxt", root() / "part/model.pbtxt");
  r = tapeflow("train --resume part --model part/model.pbtxt");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(firstLine(r.out).find("resuming part/model.pbtxt on data"), std::string::npos)
      << r.out;
  EXPECT_TRUE(readAll(root() / "part/ckpt-12.tfck") == readAll(root() / "full/ckpt-12.tfck"));
}

TEST_F(CliRunGraphTest, EvalAndPredictNeedNoModelWithACheckpoint) {
  fs::rename(root() / "quad.moved", root() / "quad.pbtxt");
  CliRun with = tapeflow("eval --model quad.pbtxt --checkpoint full/best.tfck --data data");
  ASSERT_EQ(with.code, 0) << with.err;
  CliRun without = tapeflow("eval --checkpoint full/best.tfck --data data");
  ASSERT_EQ(without.code, 0) << without.err;
  EXPECT_NE(firstLine(with.out).find("accuracy"), std::string::npos) << with.out;
  EXPECT_EQ(firstLine(without.out), firstLine(with.out));
  // An 8x8 image, bright in its top-right quadrant (class 1).
  std::ofstream pgm(root() / "digit.pgm", std::ios::binary);
  pgm << "P5\n8 8\n255\n";
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 8; ++x) pgm.put(char(y < 4 && x >= 4 ? 200 : 10));
  pgm.close();
  with = tapeflow("predict --model quad.pbtxt --checkpoint full/best.tfck --raw digit.pgm");
  ASSERT_EQ(with.code, 0) << with.err;
  without = tapeflow("predict --checkpoint full/best.tfck --raw digit.pgm");
  ASSERT_EQ(without.code, 0) << without.err;
  EXPECT_NE(with.out.find("class "), std::string::npos) << with.out;
  EXPECT_EQ(without.out, with.out);
}

// Checkpoints written before they carried their graph.
TEST_F(CliRunGraphTest, ACheckpointWithoutItsGraphAsksForModel) {
  setStoredGraph("full/best.tfck", "");
  CliRun r = tapeflow("eval --checkpoint full/best.tfck --data data");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("full/best.tfck: error: stores no graph"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--model FILE"), std::string::npos) << r.err;
  r = tapeflow("eval --model quad.moved --checkpoint full/best.tfck --data data");
  EXPECT_EQ(r.code, 0) << r.err;
  // Resuming: the run directory's model.pbtxt, else --model.
  setStoredGraph("part/ckpt-6.tfck", "");
  r = tapeflow("train --resume part");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("part/ckpt-6.tfck: error: stores no graph"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--model FILE"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(root() / "part/ckpt-12.tfck"));
  fs::copy_file(root() / "full/model.pbtxt", root() / "part/model.pbtxt");
  r = tapeflow("train --resume part");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(firstLine(r.out).find("resuming part/model.pbtxt on data"), std::string::npos)
      << r.out;
  EXPECT_TRUE(fs::exists(root() / "part/ckpt-12.tfck"));
}

TEST_F(CliRunGraphTest, ADamagedStoredGraphIsOneLineNamingTheCheckpoint) {
  const std::string good = readCheckpoint((root() / "full/best.tfck").string()).graphText;
  ASSERT_FALSE(good.empty());
  for (const std::string& bad :
       {good.substr(0, good.size() / 2), good + "node { name: \"x\" op: \"NoSuchOp\" }\n"}) {
    setStoredGraph("full/best.tfck", bad);
    setStoredGraph("part/ckpt-6.tfck", bad);
    for (const char* cmd : {"eval --checkpoint full/best.tfck --data data", "train --resume part"}) {
      CliRun r = tapeflow(cmd);
      EXPECT_EQ(r.code, 2) << cmd;
      EXPECT_EQ(lines(r.err), 1) << cmd << ": " << r.err;
      const std::string ckpt = cmd[0] == 'e' ? "full/best.tfck" : "part/ckpt-6.tfck";
      EXPECT_EQ(r.err.find(ckpt + " (stored graph):"), 0u) << r.err;
      EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r.err;
    }
  }
  EXPECT_FALSE(fs::exists(root() / "part/ckpt-12.tfck"));
}

TEST_F(CliRunTest, InitFromCopiesMatchingWeightsOrListsTheMismatches) {
  ASSERT_EQ(train("--out r").code, 0);
  CliRun r = train("--init-from r/best.tfck");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("initialised from r/best.tfck"), std::string::npos) << r.out;
  r = tapeflow("train --model quad5.pbtxt --data data --pad-to 0 --batch 32 --epochs 1 "
               "--init-from r/best.tfck");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("fc.w"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("fc.b"), std::string::npos) << r.err;
  r = tapeflow("train --model quad5.pbtxt --data data --pad-to 0 --batch 32 --epochs 1 "
               "--init-from r/best.tfck --init-skip-mismatched");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("skipped fc.w"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("skipped conv.w"), std::string::npos) << r.out;
}

TEST_F(CliRunTest, ABatchLargerThanTheTrainingSetIsAnError) {
  CliRun r = train("--batch 1000 --no-drop-last");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("1000"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("200"), std::string::npos) << r.err;
}

// Two heads on one hidden layer: the class (cross-entropy) and the class
// number as a real value (squared error, weight 0.1); the mean absolute
// error is an extra output.
constexpr const char* kTwoLosses = R"(format_version: 1
name: "two"
input { name: "image" dtype: F32 shape: [-1, 1, 8, 8] }
input { name: "label" dtype: I32 shape: [-1] }
param { name: "h.w" shape: [16, 64] init { kind: "xavier_uniform" } }
param { name: "c.w" shape: [4, 16] init { kind: "xavier_uniform" } }
param { name: "r.w" shape: [1, 16] init { kind: "xavier_uniform" } }
param { name: "values" shape: [4, 1] constant: true data: [0, 1, 2, 3] }
node { name: "flat" op: "Flatten" input: "image" output: "flat" }
node { name: "h" op: "Linear" input: ["flat", "h.w"] output: "h" }
node { name: "t" op: "Tanh" input: "h" output: "t" }
node { name: "c" op: "Linear" input: ["t", "c.w"] output: "logits" }
node { name: "r" op: "Linear" input: ["t", "r.w"] output: "value" }
node { name: "target" op: "Embedding" input: ["values", "label"] output: "target" }
node { name: "ce" op: "SoftmaxCrossEntropy" input: ["logits", "label"] output: "ce" }
node { name: "mse" op: "MeanSquaredError" input: ["value", "target"] output: "mse" }
node { name: "mae" op: "L1Loss" input: ["value", "target"] output: "mae" }
node { name: "acc" op: "Accuracy" input: ["logits", "label"] output: "accuracy" }
output: ["mae", "accuracy"]
loss: ["ce", "mse"]
loss_weight: [1, 0.1]
prediction: "logits"
)";

// The loss of every record is the objective ce + 0.1 mse of its logged
// parts: outputs are reduced (over micro-batches, intervals) like the loss.
void expectObjectiveOfOutputs(const MetricsHistory& h) {
  for (const MetricPoint& p : h.train) {
    std::map<std::string, double> out(p.outputs.begin(), p.outputs.end());
    ASSERT_TRUE(out.count("ce") && out.count("mse")) << "step " << p.step;
    EXPECT_NEAR(p.loss, out["ce"] + 0.1 * out["mse"], 1e-4 * (1 + p.loss)) << "step " << p.step;
  }
}

// --accumulate 2 runs each step as two micro-batches through the
// data-parallel step (one process): the outputs are still logged.
TEST_F(CliRunTest, AccumulatedStepsLogEveryOutput) {
  std::ofstream(root() / "two.pbtxt") << kTwoLosses;
  CliRun r = tapeflow("train --model two.pbtxt --data data --pad-to 0 --batch 32 --epochs 1 "
                      "--log-every 1 --threads 1 --accumulate 2 --out r");
  ASSERT_EQ(r.code, 0) << r.err;
  MetricsHistory h = readMetrics((root() / "r/metrics.jsonl").string());
  ASSERT_EQ(h.train.size(), 6u);
  expectObjectiveOfOutputs(h);
  ASSERT_EQ(h.eval.size(), 1u);
  EXPECT_EQ(h.eval.back().outputs.size(), 3u);
  EXPECT_NE(r.out.find(" mae "), std::string::npos) << r.out;
}

TEST_F(CliRunTest, MetricsCarryEveryOutputAndEachLoss) {
  std::ofstream(root() / "two.pbtxt") << kTwoLosses;
  CliRun r = tapeflow("train --model two.pbtxt --data data --pad-to 0 --batch 32 --epochs 2 "
                      "--log-every 2 --threads 1 --out r");
  ASSERT_EQ(r.code, 0) << r.err;
  expectObjectiveOfOutputs(readMetrics((root() / "r/metrics.jsonl").string()));
  const std::string metrics = readAll(root() / "r/metrics.jsonl");
  std::istringstream in(metrics);
  int train = 0, eval = 0;
  for (std::string line; std::getline(in, line);) {
    bool isEval = line.find("\"kind\":\"eval\"") != std::string::npos;
    (isEval ? eval : train)++;
    const std::string key = isEval ? "\"test_outputs\":{" : "\"outputs\":{";
    size_t at = line.find(key);
    ASSERT_NE(at, std::string::npos) << line;
    // Every logged value, in order: the outputs, then each loss; the
    // accuracy is reported once, as "accuracy", not again as an output.
    std::string obj = line.substr(at + key.size(), line.find('}', at) - at - key.size());
    EXPECT_EQ(obj.find("\"mae\":"), 0u) << line;
    EXPECT_NE(obj.find(",\"ce\":"), std::string::npos) << line;
    EXPECT_NE(obj.find(",\"mse\":"), std::string::npos) << line;
    EXPECT_EQ(obj.find("accuracy"), std::string::npos) << line;
    EXPECT_EQ(obj.find("null"), std::string::npos) << line;
  }
  EXPECT_EQ(train, 6);  // 200 / 32 = 6 steps per epoch, logged every 2
  EXPECT_EQ(eval, 2);
  // The loss is the objective ce + 0.1 mse, read back from the log.
  MetricsHistory h = readMetrics((root() / "r/metrics.jsonl").string());
  ASSERT_EQ(h.eval.size(), 2u);
  std::map<std::string, double> out(h.eval.back().outputs.begin(), h.eval.back().outputs.end());
  ASSERT_EQ(out.size(), 3u);
  ASSERT_TRUE(out.count("ce") && out.count("mse") && out.count("mae"));
  EXPECT_NEAR(h.eval.back().loss, out["ce"] + 0.1 * out["mse"], 1e-5);
  // Progress lines and the epoch summary print them too.
  EXPECT_NE(r.out.find(" mae "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" test mse "), std::string::npos) << r.out;
  CliRun e = tapeflow("eval --model two.pbtxt --checkpoint r/best.tfck --data data");
  ASSERT_EQ(e.code, 0) << e.err;
  EXPECT_NE(e.out.find("test mae: "), std::string::npos) << e.out;
}

// The stored graph is the one declared: without the objective node that
// building adds for several losses, and with the constant's values in the
// checkpoint's tensors.
TEST_F(CliRunTest, AGraphWithSeveralLossesAndConstantValuesTravels) {
  std::ofstream(root() / "two.pbtxt") << kTwoLosses;
  CliRun r = tapeflow("train --model two.pbtxt --data data --pad-to 0 --batch 32 --epochs 1 "
                      "--threads 1 --out r");
  ASSERT_EQ(r.code, 0) << r.err;
  CliRun with = tapeflow("eval --model two.pbtxt --checkpoint r/best.tfck --data data");
  ASSERT_EQ(with.code, 0) << with.err;
  fs::remove(root() / "two.pbtxt");
  CliRun without = tapeflow("eval --checkpoint r/best.tfck --data data");
  ASSERT_EQ(without.code, 0) << without.err;
  EXPECT_NE(with.out.find("test mae: "), std::string::npos) << with.out;
  EXPECT_EQ(without.out.substr(0, without.out.find("throughput")),
            with.out.substr(0, with.out.find("throughput")));
  const std::string graph = readAll(root() / "r/model.pbtxt");
  EXPECT_EQ(graph.find("objective"), std::string::npos) << graph;
  EXPECT_NE(graph.find("data: [0, 1, 2, 3]"), std::string::npos) << graph;
}

TEST(PrintEvalTest, NoSamplesSaysNoEvaluationYet) {
  testing::ScratchDir dir("print_eval");
  std::string path = dir.path() + "/out";
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  printEval(f, EvalResult{}, "test (last evaluation)");
  std::fclose(f);
  EXPECT_EQ(readAll(path), "test (last evaluation): no evaluation yet\n");
}

}  // namespace
}  // namespace tapeflow
