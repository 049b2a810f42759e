// tests/train/train_api_test.cpp - train() on in-memory data: graph inputs
// bound by name, an unbound input refused by name, an f32 label field
// feeding MeanSquaredError, drop_last with BatchNorm, and an evaluation that
// covers every sample with a short last batch.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "core/param_store.h"
#include "frontends/cpp/api_internal.h"
#include "ops/registry.h"
#include "train/trainer.h"

namespace tapeflow {
namespace {

namespace fs = std::filesystem;

// n samples of 4 features; class = the index of the largest of the first
// two features (a linearly separable task), target = sum of the features.
std::shared_ptr<const DataSource> samples(int n, uint64_t seed,
                                          const std::string& xName = "x",
                                          bool f32Target = false) {
  Rng rng(seed);
  InMemoryTensor x, y;
  x.spec = {xName, DType::F32, {4}, false};
  y.spec = {f32Target ? "target" : "label", f32Target ? DType::F32 : DType::I32, {}, false};
  for (int i = 0; i < n; ++i) {
    float v[4];
    for (float& f : v) f = rng.uniform() * 2 - 1;
    x.f32.insert(x.f32.end(), v, v + 4);
    if (f32Target)
      y.f32.push_back(v[0] + v[1] + v[2] + v[3]);
    else
      y.i32.push_back(v[0] > v[1] ? 0 : 1);
  }
  return std::make_shared<InMemorySource>(std::vector<InMemoryTensor>{x, y}, "test samples");
}

// x [N,4] -> Linear -> (BatchNorm) -> logits [N,2]; cross-entropy.
std::shared_ptr<const Program> classifier(bool batchNorm) {
  GraphBuilder b("tiny");
  b.input("x", {-1, 4});
  b.input("label", {-1}, DType::I32);
  b.param("w", {2, 4}, "xavier_uniform");
  b.param("b", {2}, "zeros");
  Value h = b.node("Linear", {"x", "w", "b"}, {}, "fc");
  if (batchNorm) {
    b.param("bn.scale", {2}, "ones");
    b.param("bn.shift", {2}, "zeros");
    b.constant("bn.mean", {2}, {0, 0});
    b.constant("bn.var", {2}, {1, 1});
    h = b.node("BatchNorm", {h, "bn.scale", "bn.shift", "bn.mean", "bn.var"}, {}, "bn");
  }
  b.loss(b.node("SoftmaxCrossEntropy", {h, "label"}, {}, "loss"));
  b.prediction(h);
  return Program::build(graphOf(b), ops::registry());
}

class TrainApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(::testing::TempDir()) /
            ("train_api_test_" + std::to_string(getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  TrainOptions options() const {
    TrainOptions o;
    o.runDir = root_.string();
    o.quiet = true;
    return o;
  }
  static SolverConfig solver() {
    SolverConfig s;
    s.batchSize = 8;
    s.epochs = 4;
    s.lr = 0.1f;
    s.threads = 1;
    s.padTo = 0;
    s.inputName = "x";
    return s;
  }
  fs::path root_;
};

TEST_F(TrainApiTest, TrainsATinyGraphOnAnInMemorySource) {
  TrainResult r = train(classifier(false), solver(), samples(64, 1), samples(40, 2), options());
  EXPECT_EQ(r.steps, 4 * 8);
  ASSERT_EQ(r.losses.size(), 32u);
  EXPECT_LT(r.losses.back(), r.losses.front());
  EXPECT_TRUE(r.test.hasAccuracy);
  EXPECT_EQ(r.test.samples, 40);
  EXPECT_GT(r.test.accuracy(), 0.8) << "separable task not learned";
  EXPECT_TRUE(fs::exists(r.checkpoint));
}

TEST_F(TrainApiTest, ABatchLargerThanTheTrainingSetIsAnErrorNamingBoth) {
  SolverConfig s = solver();
  s.batchSize = 100;
  s.dropLast = false;
  try {
    train(classifier(false), s, samples(64, 1), nullptr, options());
    FAIL() << "a batch of 100 from 64 samples was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(e.message().find("100"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("64 samples"), std::string::npos) << e.message();
  }
  EXPECT_FALSE(fs::exists(root_ / "solver.pbtxt"));
}

TEST_F(TrainApiTest, InitFromCopiesTheCheckpointsParams) {
  TrainResult first = train(classifier(false), solver(), samples(64, 1), nullptr, options());
  ASSERT_TRUE(fs::exists(first.checkpoint));
  TrainOptions o = options();
  o.runDir = (root_ / "second").string();
  o.initFrom = first.checkpoint;
  SolverConfig s = solver();
  s.lr = 0;  // nothing moves: the second run ends with the first run's weights
  s.epochs = 1;
  TrainResult second = train(classifier(false), s, samples(64, 1), nullptr, o);
  CheckpointData a = readCheckpoint(first.checkpoint), b = readCheckpoint(second.checkpoint);
  ASSERT_EQ(a.params.size(), b.params.size());
  for (size_t i = 0; i < a.params.size(); ++i)
    EXPECT_EQ(a.params[i].data, b.params[i].data) << a.params[i].name;
  // Another shape is listed by name, or skipped on request.
  o.runDir = (root_ / "third").string();
  try {
    train(classifier(true), s, samples(64, 1), nullptr, o);
    FAIL() << "params missing from the checkpoint were accepted";
  } catch (const DataError& e) {
    EXPECT_NE(e.message().find("bn.scale"), std::string::npos) << e.message();
  }
  o.initSkipMismatched = true;
  EXPECT_NO_THROW(train(classifier(true), s, samples(64, 1), nullptr, o));
}

TEST_F(TrainApiTest, AnUnboundGraphInputIsAnErrorNamingIt) {
  // The data calls the features "features": nothing feeds the input "x".
  try {
    train(classifier(false), solver(), samples(16, 1, "features"), nullptr, options());
    FAIL() << "trained with an unbound graph input";
  } catch (const UnboundInputError& e) {
    EXPECT_EQ(e.input(), "x");
    const std::string m = e.what();
    EXPECT_NE(m.find("graph input 'x'"), std::string::npos) << m;
    EXPECT_NE(m.find("features [4] f32"), std::string::npos) << m;
  }
  EXPECT_FALSE(fs::exists(root_ / "solver.pbtxt")) << "wrote a run before checking the data";
}

TEST_F(TrainApiTest, AnF32LabelFieldFeedsMeanSquaredError) {
  GraphBuilder b("regression");
  b.input("x", {-1, 4});
  b.input("target", {-1, 1});
  b.param("w", {1, 4}, "zeros");
  Value y = b.node("Linear", {"x", "w"}, {}, "fc");
  b.loss(b.node("MeanSquaredError", {y, "target"}, {}, "loss"));
  b.prediction(y);
  auto program = Program::build(graphOf(b), ops::registry());
  // Targets [1] per sample: the source's scalar target, reshaped.
  Rng rng(3);
  InMemoryTensor x, t;
  x.spec = {"x", DType::F32, {4}, false};
  t.spec = {"target", DType::F32, {1}, false};
  for (int i = 0; i < 64; ++i) {
    float v[4];
    for (float& f : v) f = rng.uniform() * 2 - 1;
    x.f32.insert(x.f32.end(), v, v + 4);
    t.f32.push_back(v[0] - 2 * v[3]);
  }
  auto data = std::make_shared<InMemorySource>(std::vector<InMemoryTensor>{x, t});
  SolverConfig s = solver();
  s.labelName = "target";
  s.epochs = 20;
  s.momentum = 0.9f;
  TrainResult r = train(program, s, data, data, options());
  ASSERT_FALSE(r.losses.empty());
  EXPECT_LT(r.losses.back(), 0.05 * r.losses.front());
  EXPECT_FALSE(r.test.hasAccuracy);
  EXPECT_EQ(r.test.samples, 64);
  EXPECT_LT(r.test.loss, 0.05);
}

TEST_F(TrainApiTest, DropLastSkipsTheBatchOfOneBatchNormCannotTrainOn) {
  SolverConfig s = solver();
  s.batchSize = 4;
  s.epochs = 3;
  // 9 samples in batches of 4: two full batches, then one sample.
  TrainResult r = train(classifier(true), s, samples(9, 1), nullptr, options());
  EXPECT_EQ(r.steps, 3 * 2);
  for (float l : r.losses) EXPECT_TRUE(std::isfinite(l));
  // Without drop_last the third batch (one sample) reaches BatchNorm.
  s.dropLast = false;
  fs::remove_all(root_);
  try {
    train(classifier(true), s, samples(9, 1), nullptr, options());
    FAIL() << "trained BatchNorm on a batch of one";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("more than one value per channel"), std::string::npos)
        << e.what();
  }
}

TEST_F(TrainApiTest, EvaluationCoversEverySampleWithAShortLastBatch) {
  SolverConfig s = solver();
  s.batchSize = 4;
  s.epochs = 1;
  // 10 evaluation samples in batches of 4: 4 + 4 + 2, BatchNorm in
  // inference mode for all three.
  TrainResult r = train(classifier(true), s, samples(16, 1), samples(10, 2), options());
  EXPECT_EQ(r.test.samples, 10);
  int64_t sum = 0;
  for (int64_t c : r.test.confusion) sum += c;
  EXPECT_EQ(sum, 10);
  EXPECT_TRUE(std::isfinite(r.test.loss));
  // The same code outside the trainer gives the same result.
  auto program = classifier(true);
  ParamStore store(program);
  store.initialize(s.seed);
  loadParams(r.checkpoint, *program, store);
  EvalResult again = evaluate(program, store, s, samples(10, 2));
  EXPECT_EQ(again.samples, 10);
  EXPECT_EQ(again.correct, r.test.correct);
  EXPECT_DOUBLE_EQ(again.loss, r.test.loss);
}

}  // namespace
}  // namespace tapeflow
