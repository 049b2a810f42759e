// tests/ops/batch_norm_test.cpp - BatchNorm training and inference against
// naive loops, the running-statistics update (PyTorch convention), gradients
// (all inputs, and with frozen parts), rejects.
#include <gtest/gtest.h>

#include <cmath>

#include "ops/op_kit.h"
#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_loss.h"

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

const std::vector<Dims> kShapes = {{4, 3, 2, 2}, {5, 13}, {2, 13, 3, 5}};

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
  BnInputs b = makeInputs({2, 3, 4}, 1);
  expectError<ShapeError>(
      "input 'src' [2,3,4] must have rank 2 ([N, C]) or 4 ([N, C, H, W]), "
      "found rank 3",
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
      "training needs more than one value per channel to "
      "estimate the variance, found src [1,3]",
      b.in, {}, /*training=*/true);
  // Inference with the running statistics is fine.
  EXPECT_NO_THROW(testing::runOp("BatchNorm", {}, b.in, false));
}

}  // namespace
}  // namespace tapeflow
