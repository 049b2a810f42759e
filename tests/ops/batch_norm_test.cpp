// tests/ops/batch_norm_test.cpp - BatchNorm training and inference against
// naive loops, the running-statistics update (PyTorch convention), gradients
// (all inputs, and with frozen parts), rejects.
#include <gtest/gtest.h>

#include <cmath>

#include "ops/op_kit.h"
#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_loss.h"
#include "ops/registry.h"
#include "tools/analysis/model_report.h"
#include "frontends/pbtxt/pbtxt_loader.h"

namespace tapeflow {
namespace {

using testing::expectClose;
using testing::HostTensor;

struct BnInputs {
  std::vector<HostTensor> in;  // src, scale, shift, running_mean, running_var
  int64_t n, c, spatial;
};

BnInputs makeInputs(const Dims& dims, uint64_t seed) {
  BnInputs b;
  b.n = dims[0];
  b.c = dims[1];
  b.spatial = numel(dims) / (b.n * b.c);
  b.in = {testing::randomTensor(dims, seed, -2.f, 3.f),
          testing::randomTensor({b.c}, seed + 1, 0.5f, 2.f),
          testing::randomTensor({b.c}, seed + 2, -1.f, 1.f),
          testing::randomTensor({b.c}, seed + 3, -0.5f, 0.5f),
          testing::randomTensor({b.c}, seed + 4, 0.5f, 1.5f)};
  return b;
}

const std::vector<Dims> kShapes = {{4, 3, 2, 2}, {5, 13}, {2, 13, 3, 5},
                                   {3, 13, 7}};

TEST(BatchNormTest, TrainingForwardMatchesReference) {
  for (const Dims& dims : kShapes) {
    SCOPED_TRACE(dimsStr(dims));
    BnInputs b = makeInputs(dims, 3);
    auto y = testing::runOp("BatchNorm", {}, b.in, /*training=*/true);
    ASSERT_EQ(y.size(), 1u);
    EXPECT_EQ(y[0].dims, dims);
    auto stats = reference::channelStats(b.in[0].data, b.n, b.c, b.spatial);
    expectClose(
        y[0].data,
        reference::batchNorm(b.in[0].data, b.n, b.c, b.spatial, stats.mean,
                             stats.var, b.in[1].data, b.in[2].data, 1e-5f),
        1e-4f);
  }
}

TEST(BatchNormTest, InferenceForwardUsesRunningStatistics) {
  for (const Dims& dims : kShapes) {
    SCOPED_TRACE(dimsStr(dims));
    BnInputs b = makeInputs(dims, 5);
    const float eps = 1e-3f;
    auto y = testing::runOp("BatchNorm", {{"epsilon", AttrValue::ofFloat(eps)}},
                            b.in, /*training=*/false);
    std::vector<double> mean(b.in[3].data.begin(), b.in[3].data.end());
    std::vector<double> var(b.in[4].data.begin(), b.in[4].data.end());
    expectClose(y[0].data,
                reference::batchNorm(b.in[0].data, b.n, b.c, b.spatial, mean,
                                     var, b.in[1].data, b.in[2].data, eps),
                1e-5f);
  }
}

TEST(BatchNormTest, LiteralGoldenAndRunningUpdate) {
  // One channel, values 1..4: mean 2.5, biased var 1.25, unbiased 5/3.
  std::vector<HostTensor> in = {{{4, 1}, {1.f, 2.f, 3.f, 4.f}},
                                {{1}, {1.f}},
                                {{1}, {0.f}},
                                {{1}, {0.f}},
                                {{1}, {1.f}}};
  testing::OneOpPlan p("BatchNorm", {}, in, Mode::Training, {3, 4});
  p.plan->forward();
  std::vector<float> y = p.plan->readValue("out0");
  float inv = 1.f / std::sqrt(1.25f + 1e-5f);
  expectClose(y, {-1.5f * inv, -0.5f * inv, 0.5f * inv, 1.5f * inv}, 1e-6f);
  EXPECT_NEAR(p.param(3)[0], 0.25f, 1e-6f);                    // 0.1 * 2.5
  EXPECT_NEAR(p.param(4)[0], 0.9f + 0.1f * 5.f / 3.f, 1e-6f);  // unbiased
}

TEST(BatchNormTest, RunningStatisticsFollowPyTorchConvention) {
  const Dims dims = {3, 5, 2, 3};
  BnInputs b = makeInputs(dims, 7);
  const float m = 0.3f;
  testing::OneOpPlan p("BatchNorm", {{"momentum", AttrValue::ofFloat(m)}}, b.in,
                       Mode::Training, {3, 4});
  auto stats = reference::channelStats(b.in[0].data, b.n, b.c, b.spatial);
  std::vector<double> runMean(b.in[3].data.begin(), b.in[3].data.end());
  std::vector<double> runVar(b.in[4].data.begin(), b.in[4].data.end());
  const double count = double(b.n * b.spatial);
  for (int step = 0; step < 3; ++step) {
    p.plan->forward();
    for (int64_t c = 0; c < b.c; ++c) {
      runMean[c] = (1 - m) * runMean[c] + m * stats.mean[c];
      runVar[c] = (1 - m) * runVar[c] + m * stats.var[c] * count / (count - 1);
    }
    std::vector<float> gotMean = p.param(3), gotVar = p.param(4);
    for (int64_t c = 0; c < b.c; ++c) {
      EXPECT_NEAR(gotMean[c], runMean[c], 1e-5)
          << "step " << step << " c " << c;
      EXPECT_NEAR(gotVar[c], runVar[c], 1e-5) << "step " << step << " c " << c;
    }
  }
}

TEST(BatchNormTest, InferenceLeavesRunningStatisticsAlone) {
  BnInputs b = makeInputs({4, 3}, 9);
  testing::OneOpPlan p("BatchNorm", {}, b.in, Mode::Inference, {3, 4});
  p.plan->forward();
  EXPECT_EQ(p.param(3), b.in[3].data);
  EXPECT_EQ(p.param(4), b.in[4].data);
}

TEST(BatchNormTest, GradientMatchesFiniteDifferences) {
  // NOTE: src spans [-2, 3): batch variances near 1, so a step of 1e-2 stays
  // in the quadratic regime of the normalisation.
  for (Dims dims : {Dims{3, 5, 3, 2}, Dims{6, 7}}) {
    SCOPED_TRACE(dimsStr(dims));
    BnInputs b = makeInputs(dims, 11);
    auto r = testing::gradCheck("BatchNorm", {}, b.in, SampleCase{});
    EXPECT_TRUE(r.ok) << r.report;
    EXPECT_EQ(r.checked, numel(dims) + 2 * b.c);  // src, scale, shift
  }
}

TEST(BatchNormTest, GradientsWithFrozenInputs) {
  BnInputs b = makeInputs({4, 6, 2, 2}, 13);
  std::vector<float> seed = testing::randomTensor({4, 6, 2, 2}, 14).data;
  testing::OneOpPlan all("BatchNorm", {}, b.in, Mode::Training, {3, 4});
  auto full = all.gradients({0, 1, 2}, seed);
  // Frozen scale and shift: d src alone, the same values.
  testing::OneOpPlan srcOnly("BatchNorm", {}, b.in, Mode::Training,
                             {1, 2, 3, 4});
  expectClose(srcOnly.gradients({0}, seed)[0], full[0], 1e-6f);
  // Frozen src (data): d scale = sum dy * xhat, d shift = sum dy.
  testing::OneOpPlan paramsOnly("BatchNorm", {}, b.in, Mode::Training,
                                {0, 3, 4});
  auto g = paramsOnly.gradients({1, 2}, seed);
  auto stats = reference::channelStats(b.in[0].data, b.n, b.c, b.spatial);
  std::vector<float> dScale(b.c, 0.f), dShift(b.c, 0.f);
  for (int64_t i = 0; i < b.n; ++i)
    for (int64_t c = 0; c < b.c; ++c)
      for (int64_t s = 0; s < b.spatial; ++s) {
        int64_t k = (i * b.c + c) * b.spatial + s;
        double xhat =
            (b.in[0].data[k] - stats.mean[c]) / std::sqrt(stats.var[c] + 1e-5);
        dScale[c] += float(seed[k] * xhat);
        dShift[c] += seed[k];
      }
  expectClose(g[1], dScale, 1e-5f);
  expectClose(g[2], dShift, 1e-5f);
  expectClose(g[1], full[1], 1e-6f);
  expectClose(g[2], full[2], 1e-6f);
  EXPECT_THROW(paramsOnly.plan->readGrad("in0"), UsageError);
}

TEST(BatchNormTest, BlockedSourceKeepsItsLayout) {
  using dnnl::memory;
  for (auto blocked : {memory::format_tag::nChw8c, memory::format_tag::nChw16c})
    for (Dims dims : {Dims{3, 13, 2, 3}, Dims{4, 3, 2, 2}}) {
      SCOPED_TRACE(dimsStr(dims) + " tag " + std::to_string(int(blocked)));
      BnInputs b = makeInputs(dims, 17);
      std::vector<float> seed = testing::randomTensor(dims, 18).data;
      testing::OneOpPlan plain("BatchNorm", {}, b.in, Mode::Training, {3, 4});
      testing::OneOpPlan p("BatchNorm", {}, b.in, Mode::Training, {3, 4},
                           {{0, blocked}});
      EXPECT_EQ(p.outputDesc(),
                dnnl::memory::desc(ops::toDnnl(dims), ops::dt::f32, blocked));
      auto want = plain.gradients({0, 1, 2}, seed);
      auto got = p.gradients({0, 1, 2}, seed);
      auto stats = reference::channelStats(b.in[0].data, b.n, b.c, b.spatial);
      expectClose(
          p.plan->readValue("out0"),
          reference::batchNorm(b.in[0].data, b.n, b.c, b.spatial, stats.mean,
                               stats.var, b.in[1].data, b.in[2].data, 1e-5f),
          1e-4f);
      for (int i = 0; i < 3; ++i) expectClose(got[i], want[i], 1e-5f);
      expectClose(p.param(3), plain.param(3), 1e-6f);
      expectClose(p.param(4), plain.param(4), 1e-6f);
      // Inference on the blocked layout too.
      testing::OneOpPlan inf("BatchNorm", {}, b.in, Mode::Inference, {3, 4},
                             {{0, blocked}});
      inf.plan->forward();
      std::vector<double> mean(b.in[3].data.begin(), b.in[3].data.end());
      std::vector<double> var(b.in[4].data.begin(), b.in[4].data.end());
      expectClose(inf.plan->readValue("out0"),
                  reference::batchNorm(b.in[0].data, b.n, b.c, b.spatial, mean,
                                       var, b.in[1].data, b.in[2].data, 1e-5f),
                  1e-5f);
    }
}

template <class E>
void expectError(const std::string& substring,
                 const std::vector<HostTensor>& in,
                 const std::map<std::string, AttrValue>& attrs = {},
                 bool training = false) {
  testing::expectThrowWith<E>(
      [&] { testing::runOp("BatchNorm", attrs, in, training); }, substring);
}

TEST(BatchNormTest, RejectsUnsupportedRanks) {
  BnInputs b = makeInputs({2, 3, 4, 2, 2}, 1);
  expectError<ShapeError>(
      "input 'src' [2,3,4,2,2] must have rank 2 ([N, C]), 3 ([N, C, L]) or 4 "
      "([N, C, H, W]), found rank 5",
      b.in);
}

TEST(BatchNormTest, RejectsPerChannelInputsOfTheWrongLength) {
  const char* names[] = {"", "scale", "shift", "running_mean", "running_var"};
  for (int i = 1; i < 5; ++i) {
    BnInputs b = makeInputs({2, 3, 2, 2}, 1);
    b.in[i] = testing::randomTensor({4}, 2, 0.5f, 1.f);
    expectError<ShapeError>(std::string("input '") + names[i] +
                                "' [4] must be [3] (one value per channel of "
                                "src [2,3,2,2])",
                            b.in);
  }
}

TEST(BatchNormTest, RejectsBadEpsilonAndMomentum) {
  BnInputs b = makeInputs({2, 3}, 1);
  expectError<AttrError>(
      "attribute 'epsilon': must be positive and finite, "
      "found 0",
      b.in, {{"epsilon", AttrValue::ofFloat(0.f)}});
  expectError<AttrError>(
      "attribute 'epsilon': must be positive and finite, "
      "found -0.1",
      b.in, {{"epsilon", AttrValue::ofFloat(-0.1f)}});
  expectError<AttrError>("attribute 'momentum': must be in [0, 1], found 1.5",
                         b.in, {{"momentum", AttrValue::ofFloat(1.5f)}});
}

TEST(BatchNormTest, RejectsTrainingWithOneValuePerChannel) {
  BnInputs b = makeInputs({1, 3}, 1);
  expectError<ShapeError>(
      "batch statistics need more than one value per channel to "
      "estimate the variance, found src [1,3]",
      b.in, {}, /*training=*/true);
  // Inference with the running statistics is fine.
  EXPECT_NO_THROW(testing::runOp("BatchNorm", {}, b.in, false));
}

TEST(BatchNormTest, WithoutAffineScaleIsOneAndShiftZero) {
  for (const Dims& dims : kShapes) {
    SCOPED_TRACE(dimsStr(dims));
    BnInputs b = makeInputs(dims, 21);
    std::vector<HostTensor> in = {b.in[0], b.in[3], b.in[4]};
    std::map<std::string, AttrValue> attrs = {{"affine", AttrValue::ofInt(0)}};
    std::vector<float> ones(size_t(b.c), 1.f), zeros(size_t(b.c), 0.f);
    auto stats = reference::channelStats(b.in[0].data, b.n, b.c, b.spatial);
    auto y = testing::runOp("BatchNorm", attrs, in, /*training=*/true);
    expectClose(y[0].data,
                reference::batchNorm(b.in[0].data, b.n, b.c, b.spatial,
                                     stats.mean, stats.var, ones, zeros, 1e-5f),
                1e-4f);
    std::vector<double> mean(b.in[3].data.begin(), b.in[3].data.end());
    std::vector<double> var(b.in[4].data.begin(), b.in[4].data.end());
    y = testing::runOp("BatchNorm", attrs, in, /*training=*/false);
    expectClose(y[0].data,
                reference::batchNorm(b.in[0].data, b.n, b.c, b.spatial, mean,
                                     var, ones, zeros, 1e-5f),
                1e-5f);
  }
}

TEST(BatchNormTest, WithoutTrackingInferenceUsesBatchStatistics) {
  for (int affine : {1, 0}) {
    SCOPED_TRACE(affine);
    const Dims dims = {4, 13, 3};
    BnInputs b = makeInputs(dims, 23);
    std::vector<HostTensor> in = {b.in[0]};
    if (affine) in = {b.in[0], b.in[1], b.in[2]};
    std::map<std::string, AttrValue> attrs = {
        {"affine", AttrValue::ofInt(affine)},
        {"track_running_stats", AttrValue::ofInt(0)}};
    auto stats = reference::channelStats(b.in[0].data, b.n, b.c, b.spatial);
    std::vector<float> scale(size_t(b.c), 1.f), shift(size_t(b.c), 0.f);
    if (affine) scale = b.in[1].data, shift = b.in[2].data;
    auto want = reference::batchNorm(b.in[0].data, b.n, b.c, b.spatial,
                                     stats.mean, stats.var, scale, shift, 1e-5f);
    for (bool training : {false, true})
      expectClose(testing::runOp("BatchNorm", attrs, in, training)[0].data,
                  want, 1e-4f);
  }
}

TEST(BatchNormTest, GradientWithoutAffineOrTracking) {
  BnInputs b = makeInputs({3, 5, 4}, 25);
  for (auto [affine, track] : {std::pair{0, 1}, std::pair{1, 0}, std::pair{0, 0}}) {
    SCOPED_TRACE(std::to_string(affine) + std::to_string(track));
    std::vector<HostTensor> in = {b.in[0]};
    if (affine) in.insert(in.end(), {b.in[1], b.in[2]});
    if (track) in.insert(in.end(), {b.in[3], b.in[4]});
    auto r = testing::gradCheck("BatchNorm",
                                {{"affine", AttrValue::ofInt(affine)},
                                 {"track_running_stats", AttrValue::ofInt(track)}},
                                in, SampleCase{});
    EXPECT_TRUE(r.ok) << r.report;
    EXPECT_EQ(r.checked, 60 + (affine ? 10 : 0));  // src (+ scale, shift)
  }
}

TEST(BatchNormTest, RejectsInputCountThatDisagreesWithTheFlags) {
  BnInputs b = makeInputs({4, 3}, 1);
  expectError<ShapeError>(
      "expected 3 inputs (src, running_mean, running_var) with affine 0 and "
      "track_running_stats 1, found 5",
      b.in, {{"affine", AttrValue::ofInt(0)}});
  expectError<AttrError>("attribute 'affine': must be 0 or 1, found 2", b.in,
                         {{"affine", AttrValue::ofInt(2)}});
}

const char* kBnGraph = R"(format_version: 1
name: "bn"
input { name: "x" shape: [-1, 3, 4] }
param { name: "bn.scale" shape: [3] init { kind: "ones" } }
param { name: "bn.shift" shape: [3] init { kind: "zeros" } }
param { name: "bn.mean" shape: [3] init { kind: "zeros" } MEAN_FLAGS}
param { name: "bn.var" shape: [3] init { kind: "ones" } constant: true }
node { name: "bn" op: "BatchNorm" output: "y"
       input: ["x", "bn.scale", "bn.shift", "bn.mean", "bn.var"] }
output: "y"
)";

std::string bnGraph(const std::string& meanFlags) {
  std::string s = kBnGraph;
  return s.replace(s.find("MEAN_FLAGS"), 10, meanFlags);
}

TEST(BatchNormTest, RejectsTrainableRunningStatisticsNamingTheParam) {
  Graph g = parseGraphText(bnGraph(""), "bn.pbtxt");
  testing::expectThrowWith<GraphError>(
      [&] { Program::build(g, ops::registry()); },
      "bn.pbtxt:6:1: error: node 'bn' (BatchNorm): param 'bn.mean' feeds "
      "input 'running_mean', a running statistic the op updates in place; it "
      "cannot be trainable: declare it with constant: true");
}

TEST(BatchNormTest, RejectsRunningStatisticsThatAreNotParams) {
  std::string text = bnGraph("constant: true ");
  text.replace(text.find("\"bn.var\"]"), 9, "\"x2\"]");
  text.insert(text.find("param"), "input { name: \"x2\" shape: [3] }\n");
  testing::expectThrowWith<GraphError>(
      [&] { Program::build(parseGraphText(text, "bn.pbtxt"), ops::registry()); },
      "input 'running_var' ('x2') is a running statistic the op updates in "
      "place; it must be a param declared with constant: true, found a graph "
      "input");
}

TEST(BatchNormTest, SummaryCountsRunningStatisticsAsBuffers) {
  auto p = Program::build(parseGraphText(bnGraph("constant: true "), "bn.pbtxt"),
                          ops::registry());
  ParamCounts c = countParams(*p);
  EXPECT_EQ(c.total, 6);
  EXPECT_EQ(c.trainable, 6);
  EXPECT_EQ(c.buffers, 6);
  EXPECT_EQ(paramsPerNode(*p)[0], 6);
  std::string table = summaryTable(*p);
  EXPECT_NE(table.find("Total params: 6\n"), std::string::npos) << table;
  EXPECT_NE(table.find("Buffers (running statistics): 6\n"), std::string::npos)
      << table;
}

}  // namespace
}  // namespace tapeflow
