// tests/train/distributed_test.cpp - the pieces of data-parallel training
// that one process can check (train/distributed): the slice of a global
// batch each rank takes, the gradient buffer, evaluation shards and their
// reduction, the failure agreement, the build without MPI, and
// --accumulate, which must follow the plain step up to summation order.
// The multi-rank behaviour runs under mpirun in tests/train/mpi/.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "core/param_store.h"
#include "frontends/pbtxt/pbtxt_loader.h"
#include "ops/registry.h"
#include "train/distributed/communicator.h"
#include "train/distributed/data_parallel_step.h"
#include "train/distributed/gradient_buffer.h"
#include "train/distributed/sharding.h"
#include "train/checkpoint.h"
#include "train/trainer.h"
#include "tests/support/scratch_dir.h"

namespace tapeflow {
namespace {

constexpr const char* kModel = R"(format_version: 1
name: "tiny"
input { name: "image" dtype: F32 shape: [-1, 1, 4, 4] }
input { name: "label" dtype: I32 shape: [-1] }
param { name: "fc.w" shape: [3, 16] init { kind: "xavier_uniform" } }
param { name: "fc.b" shape: [3] init { kind: "zeros" } }
node { name: "flat" op: "Flatten" input: "image" output: "flat" }
node { name: "fc" op: "Linear" input: ["flat", "fc.w", "fc.b"] output: "logits" }
node { name: "loss" op: "SoftmaxCrossEntropy" input: ["logits", "label"] output: "loss" }
loss: "loss"
prediction: "logits"
)";

std::shared_ptr<const Program> tinyProgram() {
  return Program::build(parseGraphText(kModel, "tiny.pbtxt"), ops::registry());
}

// `n` 4x4 images; the class is the brightest row band, plus noise.
std::shared_ptr<const DataSource> tinyData(int n, uint64_t seed) {
  Rng rng(seed);
  InMemoryTensor x{{"image", DType::F32, {1, 4, 4}, true}, {}, {}};
  InMemoryTensor y{{"label", DType::I32, {}, false}, {}, {}};
  for (int i = 0; i < n; ++i) {
    const int cls = int(rng.next() % 3);
    y.i32.push_back(cls);
    for (int p = 0; p < 16; ++p)
      x.f32.push_back(float(rng.next() % 80) + (p / 4 == cls ? 150.f : 0.f));
  }
  return std::make_shared<InMemorySource>(std::vector<InMemoryTensor>{x, y}, "tiny samples");
}

TEST(DistributedTest, RankSlicesSplitTheGlobalBatchEvenly) {
  EXPECT_EQ(rankSlice(64, 0, 2, 1), std::make_pair(int64_t(0), int64_t(32)));
  EXPECT_EQ(rankSlice(64, 1, 2, 1), std::make_pair(int64_t(32), int64_t(32)));
  EXPECT_EQ(rankSlice(64, 3, 4, 2), std::make_pair(int64_t(48), int64_t(16)));
  try {
    rankSlice(30, 0, 4, 1);
    FAIL() << "batch 30 over 4 ranks accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("batch size 30 does not split evenly over 4 ranks"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(rankSlice(64, 0, 2, 3), UsageError);  // 2 ranks x 3 micro-batches
}

TEST(DistributedTest, SliceBatchCopiesTheSamplesOfTheSlice) {
  Batch b;
  b.size = 4;
  b.fields.push_back({"x", DType::F32, {2}, {0, 1, 2, 3, 4, 5, 6, 7}, {}});
  b.fields.push_back({"y", DType::I32, {}, {}, {10, 11, 12, 13}});
  Batch s = sliceBatch(b, 1, 2);
  EXPECT_EQ(s.size, 2);
  EXPECT_EQ(s.fields[0].f32, (std::vector<float>{2, 3, 4, 5}));
  EXPECT_EQ(s.fields[1].i32, (std::vector<int32_t>{11, 12}));
}

TEST(DistributedTest, GradientBufferPacksAccumulatesAndUnpacks) {
  auto program = tinyProgram();
  ParamStore store(program);
  store.initialize(1);
  GradientBuffer buf(store, 3);
  ASSERT_EQ(buf.gradientFloats(), size_t(3 * 16 + 3));
  ASSERT_EQ(buf.size(), buf.gradientFloats() + 3);
  for (int p = 0; p < store.numParams(); ++p)
    for (int64_t i = 0; i < store.size(p); ++i) store.gradData(p)[i] = float(p + 1) * float(i);
  buf.accumulate(true);
  buf.accumulate(false);  // twice the gradients
  buf.extra()[0] = 42;
  buf.unpack(0.25f);
  for (int p = 0; p < store.numParams(); ++p)
    for (int64_t i = 0; i < store.size(p); ++i)
      ASSERT_EQ(store.gradData(p)[i], 0.5f * float(p + 1) * float(i)) << p << " " << i;
  EXPECT_EQ(buf.data()[buf.gradientFloats()], 42.f);
}

TEST(DistributedTest, EvaluationShardsCoverEverySampleOnce) {
  auto data = tinyData(10, 3);
  int64_t total = 0;
  for (int r = 0; r < 4; ++r) total += evaluationShard(data, r, 4)->size();
  EXPECT_EQ(total, 10);
  EXPECT_EQ(evaluationShard(data, 3, 4)->size(), 3);  // [7, 10)
  EXPECT_EQ(evaluationShard(data, 0, 1).get(), data.get());
}

TEST(DistributedTest, OneProcessRethrowsTheErrorItself) {
  SingleProcess one;
  EXPECT_NO_THROW(agreeOnFailure(one, nullptr));
  EXPECT_THROW(agreeOnFailure(one, std::make_exception_ptr(DataError({}, "", "", "bad"))),
               DataError);
  EXPECT_NO_THROW(checkReplicas(one, *std::make_unique<ParamStore>(tinyProgram()), 1));
}

TEST(DistributedTest, LaunchedRanksReadsTheLaunchersEnvironment) {
  ::unsetenv("OMPI_COMM_WORLD_SIZE");
  ::unsetenv("PMI_SIZE");
  EXPECT_EQ(launchedRanks(), 1);
  ::setenv("PMI_SIZE", "3", 1);
  EXPECT_EQ(launchedRanks(), 3);
  ::setenv("PMI_SIZE", "x", 1);
  EXPECT_EQ(launchedRanks(), 1);
  ::unsetenv("PMI_SIZE");
}

TEST(DistributedTest, WithoutMpiSeveralRanksAreAnErrorNamingTheCause) {
  ::setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
  try {
    refuseRanksWithoutMpi();  // what openWorld does in a build without MPI
    FAIL() << "two ranks accepted without MPI";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("started as one of 2 ranks, but this tapeflow was "
                                         "built without MPI"),
              std::string::npos)
        << e.what();
  }
  ::unsetenv("OMPI_COMM_WORLD_SIZE");
  EXPECT_NO_THROW(refuseRanksWithoutMpi());
  EXPECT_EQ(openWorld(0)->size(), 1);  // not launched: one process, either build
}

// The solver of the training tests below: SGD with momentum, batches of
// 32, one thread, no padding.
SolverConfig smallSolver(int epochs) {
  SolverConfig s;
  s.padTo = 0;
  s.batchSize = 32;
  s.epochs = epochs;
  s.lr = 0.1f;
  s.momentum = 0.9f;
  s.threads = 1;
  return s;
}

// Quiet training that writes its run into `runDir`.
TrainOptions quietRun(const std::string& runDir) {
  TrainOptions o;
  o.runDir = runDir;
  o.quiet = true;
  return o;
}

// --accumulate K on one process: each batch as K micro-batches, averaged.
TEST(DistributedTest, AccumulatedMicroBatchesFollowThePlainStep) {
  const testing::ScratchDir root("distributed_test");
  const SolverConfig s = smallSolver(2);
  auto runWith = [&](int accumulate, const std::string& dir) {
    TrainOptions o = quietRun(root.path(dir));
    o.accumulate = accumulate;
    return train(tinyProgram(), s, tinyData(256, 1), tinyData(64, 2), o);
  };
  TrainResult plain = runWith(1, "plain"), acc = runWith(4, "acc4");
  ASSERT_EQ(plain.losses.size(), acc.losses.size());
  ASSERT_EQ(plain.losses.size(), size_t(16));
  for (size_t i = 0; i < plain.losses.size(); ++i)
    EXPECT_NEAR(acc.losses[i], plain.losses[i], 1e-5 * std::fabs(plain.losses[i])) << i;
  EXPECT_LT(plain.losses.back(), plain.losses.front());
  EXPECT_NEAR(acc.test.accuracy(), plain.test.accuracy(), 1.0 / 64);
  SolverConfig bad = s;
  bad.batchSize = 30;
  TrainOptions o = quietRun(root.path("bad"));
  o.accumulate = 4;
  EXPECT_THROW(train(tinyProgram(), bad, tinyData(256, 1), nullptr, o), UsageError);
}

// Two ranks that hold the same data: every sum doubles. Sums started with
// startAllreduceSum complete only in finishAllreduces (as MPI's do), and
// their ranges are recorded.
class TwinRanks final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 2; }
  void allreduceSum(float* d, size_t n) override { twice(d, n); }
  void allreduceSum(double* d, size_t n) override { twice(d, n); }
  void allreduceMin(int64_t*, size_t) override {}
  std::vector<uint64_t> allgather(uint64_t v) override { return {v, v}; }
  void broadcast(float*, size_t, int) override {}
  void broadcast(std::string*, int) override {}
  [[noreturn]] void abort(const std::string& m, int) override { throw std::runtime_error(m); }
  std::string describe() const override { return "twin ranks"; }
  void startAllreduceSum(float* d, size_t n) override {
    if (pending.empty() && probe > 0) probed.push_back(d[probe]);
    pending.push_back({d, n});
  }
  void finishAllreduces() override {
    steps.push_back(pending);
    for (auto [d, n] : pending) twice(d, n);
    pending.clear();
  }
  std::vector<std::pair<float*, size_t>> pending;
  std::vector<std::vector<std::pair<float*, size_t>>> steps;
  size_t probe = 0;            // float read (from the first bucket's start) ...
  std::vector<float> probed;   // ... when each step's first bucket starts

 private:
  template <class T>
  static void twice(T* d, size_t n) {
    for (size_t i = 0; i < n; ++i) d[i] *= 2;
  }
};

constexpr const char* kTwoLayers = R"(format_version: 1
name: "two_layers"
input { name: "image" dtype: F32 shape: [-1, 1, 4, 4] }
input { name: "label" dtype: I32 shape: [-1] }
param { name: "h.w" shape: [8, 16] init { kind: "xavier_uniform" } }
param { name: "h.b" shape: [8] init { kind: "zeros" } }
param { name: "fc.w" shape: [3, 8] init { kind: "xavier_uniform" } }
param { name: "fc.b" shape: [3] init { kind: "zeros" } }
node { name: "flat" op: "Flatten" input: "image" output: "flat" }
node { name: "h" op: "Linear" input: ["flat", "h.w", "h.b"] output: "h" }
node { name: "t" op: "Tanh" input: "h" output: "t" }
node { name: "fc" op: "Linear" input: ["t", "fc.w", "fc.b"] output: "logits" }
node { name: "loss" op: "SoftmaxCrossEntropy" input: ["logits", "label"] output: "loss" }
loss: "loss"
prediction: "logits"
)";

// The bucketed allreduce (overlapped with the backward pass) gives the same
// training, bit for bit, as one allreduce after the backward pass; its
// buckets start in buffer order, some during the backward pass, and cover
// the buffer exactly once per step.
TEST(DistributedTest, BucketedAllreduceMatchesOneAllreduceAfterBackward) {
  const testing::ScratchDir root("distributed_buckets");
  auto program = Program::build(parseGraphText(kTwoLayers, "two.pbtxt"), ops::registry());
  const SolverConfig s = smallSolver(1);
  auto runWith = [&](double bucketMiB, const std::string& dir, TwinRanks* comm) {
    TrainOptions o = quietRun(root.path(dir));
    o.comm = std::shared_ptr<Communicator>(comm, [](Communicator*) {});
    o.bucketMiB = bucketMiB;
    return train(program, s, tinyData(256, 1), tinyData(64, 2), o);
  };
  TwinRanks once, buckets;
  buckets.probe = 27 + 136;  // the loss slot of the extras, written after backward
  TrainResult a = runWith(0, "once", &once);
  TrainResult b = runWith(16 * sizeof(float) / double(1 << 20), "buckets", &buckets);
  ASSERT_EQ(a.losses.size(), size_t(8));
  ASSERT_EQ(a.losses.size(), b.losses.size());
  for (size_t i = 0; i < a.losses.size(); ++i) EXPECT_EQ(a.losses[i], b.losses[i]) << i;
  EXPECT_EQ(readCheckpoint(a.checkpoint).params.at(0).data,
            readCheckpoint(b.checkpoint).params.at(0).data);
  EXPECT_TRUE(once.steps.empty());  // one blocking allreduce per step
  ASSERT_EQ(buckets.steps.size(), a.losses.size());
  for (const auto& step : buckets.steps) {
    // fc.b and fc.w (27 floats) close the first bucket, h.b and h.w go
    // with the extras: two buckets, back to back from the buffer's start.
    ASSERT_EQ(step.size(), 2u);
    EXPECT_EQ(step[0].second, size_t(3 + 24));
    EXPECT_EQ(step[1].first, step[0].first + step[0].second);
    EXPECT_EQ(step[1].second, size_t(8 + 128) + 2 * 2 + 2);
  }
  // The first bucket started during the backward pass: the loss slot was
  // still zero (it is written after the backward pass, before the last).
  ASSERT_EQ(buckets.probed.size(), a.losses.size());
  for (float v : buckets.probed) EXPECT_EQ(v, 0.f);
}

}  // namespace
}  // namespace tapeflow
