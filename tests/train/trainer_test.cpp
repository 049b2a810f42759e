// tests/train/trainer_test.cpp - the training loop on a small synthetic
// task: it learns, an interrupted and resumed run repeats the uninterrupted
// one bit for bit, the cancellation token stops after a checkpoint, and bad
// data or another model's checkpoint is refused.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/param_store.h"
#include "core/plan.h"
#include "frontends/pbtxt/pbtxt_loader.h"
#include "ops/registry.h"
#include "train/checkpoint.h"
#include "train/resume_recipe.h"
#include "train/trainer.h"

namespace tapeflow {
namespace {

namespace fs = std::filesystem;

void writeBE32(std::ofstream& f, uint32_t v) {
  unsigned char b[4] = {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
  f.write(reinterpret_cast<char*>(b), 4);
}

// 8x8 images; the class (0..3) is the bright quadrant, plus noise.
void writeSplit(const fs::path& dir, const std::string& prefix, int count, uint64_t seed) {
  Rng rng(seed);
  std::ofstream img(dir / (prefix + "-images-idx3-ubyte"), std::ios::binary);
  std::ofstream lab(dir / (prefix + "-labels-idx1-ubyte"), std::ios::binary);
  writeBE32(img, 2051);
  writeBE32(img, uint32_t(count));
  writeBE32(img, 8);
  writeBE32(img, 8);
  writeBE32(lab, 2049);
  writeBE32(lab, uint32_t(count));
  for (int i = 0; i < count; ++i) {
    int cls = int(rng.next() % 4);
    lab.put(char(cls));
    for (int y = 0; y < 8; ++y)
      for (int x = 0; x < 8; ++x) {
        bool bright = (y / 4) * 2 + (x / 4) == cls;
        int v = int(rng.next() % 60) + (bright ? 150 : 0);
        img.put(char(uint8_t(v)));
      }
  }
}

constexpr const char* kModel = R"(format_version: 1
name: "quadrants"
input { name: "image" dtype: F32 shape: [-1, 1, 8, 8] }
input { name: "label" dtype: I32 shape: [-1] }
param { name: "conv.w" shape: [4, 1, 3, 3] init { kind: "he_uniform" } }
param { name: "conv.b" shape: [4] init { kind: "zeros" } }
param { name: "fc.w" shape: [4, 64] init { kind: "xavier_uniform" } }
param { name: "fc.b" shape: [4] init { kind: "zeros" } }
node { name: "conv" op: "Conv2D" input: ["image", "conv.w", "conv.b"] output: "conv" attr { name: "padding" s: "SAME" } }
node { name: "relu" op: "Relu" input: "conv" output: "relu" }
node { name: "pool" op: "MaxPool" input: "relu" output: "pool" attr { name: "kernel" ints: [2, 2] } }
node { name: "flat" op: "Flatten" input: "pool" output: "flat" }
node { name: "drop" op: "Dropout" input: "flat" output: "drop" attr { name: "rate" f: 0.2 } }
node { name: "fc" op: "Linear" input: ["drop", "fc.w", "fc.b"] output: "logits" }
node { name: "loss" op: "SoftmaxCrossEntropy" input: ["logits", "label"] output: "loss" }
loss: "loss"
prediction: "logits"
)";

class TrainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(::testing::TempDir()) /
            ("trainer_test_" + std::to_string(getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "data");
    writeSplit(root_ / "data", "train", 200, 1);  // 7 batches of 32 (last 8)
    writeSplit(root_ / "data", "t10k", 64, 2);
    model_ = kModel;
  }
  void TearDown() override { fs::remove_all(root_); }

  // The quadrant task: short last batches kept (7 steps per epoch), so
  // that resume is checked across a short batch too.
  SolverConfig solver() const {
    SolverConfig s;
    s.data = (root_ / "data").string();
    s.padTo = 0;
    s.batchSize = 32;
    s.epochs = 3;
    s.lr = 0.05f;
    s.momentum = 0.9f;
    s.logEverySteps = 2;
    s.threads = 2;
    s.dropLast = false;
    return s;
  }

  TrainOptions options(const std::string& run) const {
    TrainOptions o;
    o.runDir = (root_ / run).string();
    o.quiet = true;
    return o;
  }

  TrainResult run(const TrainOptions& o, const SolverConfig& s) const {
    auto program = Program::build(parseGraphText(model_, "model.pbtxt"), ops::registry());
    return train(program, s, std::make_shared<IdxDirSource>(s.data, "train", 4),
                 std::make_shared<IdxDirSource>(s.data, "test", 4), o);
  }
  TrainResult run(const TrainOptions& o) const { return run(o, solver()); }

  void expectResumeExact() const;

  std::vector<float> paramsOf(const std::string& checkpoint) const {
    CheckpointData ck = readCheckpoint(checkpoint);
    std::vector<float> all;
    for (const auto& t : ck.params) all.insert(all.end(), t.data.begin(), t.data.end());
    for (const auto& t : ck.optimizerState) all.insert(all.end(), t.data.begin(), t.data.end());
    return all;
  }

  fs::path root_;
  std::string model_;
};

TEST_F(TrainerTest, LearnsTheTaskAndWritesLogsCurvesAndCheckpoints) {
  TrainResult r = run(options("run"));
  EXPECT_FALSE(r.interrupted);
  EXPECT_EQ(r.steps, 3 * 7);
  ASSERT_EQ(r.losses.size(), 21u);
  EXPECT_LT(r.losses.back(), r.losses.front());
  EXPECT_GT(r.test.accuracy(), 0.9) << "quadrant task not learned";
  EXPECT_EQ(r.test.samples, 64);
  int64_t sum = 0;
  for (int64_t c : r.test.confusion) sum += c;
  EXPECT_EQ(sum, 64);
  EXPECT_TRUE(fs::exists(root_ / "run" / "metrics.jsonl"));
  EXPECT_TRUE(fs::exists(root_ / "run" / "curves.svg"));
  EXPECT_TRUE(fs::exists(r.checkpoint));
}

void TrainerTest::expectResumeExact() const {
  for (int64_t n : {3, 7, 10}) {  // mid-epoch, epoch boundary, next epoch
    SCOPED_TRACE("interrupt after " + std::to_string(n));
    const int64_t m = 21 - n;
    TrainOptions whole = options("whole" + std::to_string(n));
    TrainResult a = run(whole);
    TrainOptions first = options("split" + std::to_string(n));
    first.stopAfterSteps = n;
    TrainResult b1 = run(first);
    EXPECT_TRUE(b1.interrupted);
    EXPECT_EQ(b1.steps, n);
    TrainOptions second = first;
    second.stopAfterSteps = -1;
    second.resume = true;
    TrainResult b2 = run(second);
    EXPECT_FALSE(b2.interrupted);
    ASSERT_EQ(int64_t(b1.losses.size()), n);
    ASSERT_EQ(int64_t(b2.losses.size()), m);
    std::vector<float> joined = b1.losses;
    joined.insert(joined.end(), b2.losses.begin(), b2.losses.end());
    ASSERT_EQ(joined.size(), a.losses.size());
    for (size_t i = 0; i < joined.size(); ++i)
      EXPECT_EQ(std::memcmp(&joined[i], &a.losses[i], sizeof(float)), 0)
          << "step " << i << ": " << joined[i] << " vs " << a.losses[i];
    EXPECT_EQ(paramsOf(a.checkpoint), paramsOf(b2.checkpoint));
    EXPECT_EQ(a.test.correct, b2.test.correct);
  }
}

// N steps, interrupt, resume, M steps == N+M steps in one go, bit for bit:
// losses, parameters and optimizer state (dropout and shuffling included).
TEST_F(TrainerTest, ResumeRepeatsTheUninterruptedRunExactly) { expectResumeExact(); }

// The same with a fused chain (conv, then per-channel scale and shift and
// a sigmoid, as LeNet-5's subsampling): the fused loop is deterministic.
TEST_F(TrainerTest, ResumeRepeatsTheUninterruptedRunExactlyWithAFusedChain) {
  const std::string conv = "output: \"conv\" attr { name: \"padding\" s: \"SAME\" } }\n";
  const std::string chain =
      "output: \"conv\" attr { name: \"padding\" s: \"SAME\" } }\n"
      "param { name: \"s.c\" shape: [1, 4, 1, 1] init { kind: \"uniform\" low: 0.5 high: 1.5 } }\n"
      "param { name: \"s.b\" shape: [1, 4, 1, 1] init { kind: \"uniform\" low: -0.5 high: 0.5 } }\n"
      "node { name: \"scale\" op: \"Mul\" input: [\"conv\", \"s.c\"] output: \"scaled\" }\n"
      "node { name: \"shift\" op: \"Add\" input: [\"scaled\", \"s.b\"] output: \"pre\" }\n";
  model_.replace(model_.find(conv), conv.size(), chain);
  const std::string relu = "name: \"relu\" op: \"Relu\" input: \"conv\"";
  model_.replace(model_.find(relu), relu.size(),
                 "name: \"squash\" op: \"Sigmoid\" input: \"pre\"");
  auto program = Program::build(parseGraphText(model_, "model.pbtxt"), ops::registry());
  ParamStore store(program);
  PlanOptions po;
  po.batch = 32;
  Plan plan(program, store, po);
  ASSERT_EQ(plan.chains().size(), 1u);
  EXPECT_EQ(plan.chains()[0].names(*program), "scale+shift+squash");
  expectResumeExact();
}

TEST_F(TrainerTest, CancellationFinishesTheStepAndCheckpoints) {
  CancellationToken cancel;
  cancel.request();  // arrives before the first step ends
  TrainOptions o = options("cancel");
  o.cancel = &cancel;
  TrainResult r = run(o);
  EXPECT_TRUE(r.interrupted);
  EXPECT_EQ(r.steps, 1);
  ASSERT_EQ(r.losses.size(), 1u);
  ASSERT_FALSE(r.checkpoint.empty());
  CheckpointData ck = readCheckpoint(r.checkpoint);
  EXPECT_EQ(ck.step, 1);
  EXPECT_EQ(ck.positionInEpoch, 1);
  cancel.reset();
  TrainOptions again = options("cancel");
  again.resume = true;
  again.cancel = &cancel;
  TrainResult r2 = run(again);
  EXPECT_FALSE(r2.interrupted);
  EXPECT_EQ(r2.steps, 21);
}

// A C++ caller that resumes gets the rules of `tapeflow train --resume`:
// the stored recipe with only the changes that keep the run exact.
TEST_F(TrainerTest, ResumeRefusesARecipeChangeThatBreaksExactness) {
  TrainOptions first = options("recipe");
  first.stopAfterSteps = 3;
  run(first);
  EXPECT_EQ(readStoredRun(first.runDir).solver.lr, 0.05f);
  TrainOptions again = options("recipe");
  again.resume = true;
  SolverConfig changed = solver();
  changed.lr = 0.1f;
  try {
    run(again, changed);
    FAIL() << "resumed with another learning rate";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("lr (0.05 -> 0.1)"), std::string::npos) << e.what();
  }
  SolverConfig longer = solver();
  longer.epochs = 4;     // more epochs: allowed
  longer.logEverySteps = 5;
  TrainResult r = run(again, longer);
  EXPECT_EQ(r.steps, 4 * 7);
  EXPECT_EQ(readStoredRun(first.runDir).solver.epochs, 4);
  try {
    run(again, longer);  // nothing left to train
    FAIL() << "resumed a finished run";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("finished"), std::string::npos) << e.what();
  }
}

TEST_F(TrainerTest, RefusesCheckpointOfAnotherModel) {
  TrainOptions o = options("other");
  o.stopAfterSteps = 2;
  run(o);
  model_.replace(model_.find("name: \"quadrants\""), 17, "name: \"changed\"");
  TrainOptions again = options("other");
  again.resume = true;
  try {
    run(again);
    FAIL() << "resumed a checkpoint of another model";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("fingerprint"), std::string::npos) << e.what();
  }
}

TEST_F(TrainerTest, RejectsImagesThatDoNotFitTheModel) {
  SolverConfig s = solver();
  s.padTo = 12;  // 12x12 images for an 8x8 input
  try {
    run(options("misfit"), s);
    FAIL() << "trained on images of the wrong size";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("expects [N,1,8,8]"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tapeflow
