// tests/ops/dropout_test.cpp - Dropout: kept values are rescaled, the drop
// fraction matches the rate, masks repeat within a step and change across
// steps, inference is the identity, gradients, rejects.
#include <gtest/gtest.h>

#include <cmath>

#include "ops/op_kit.h"
#include "tests/support/expect.h"
#include "tests/support/op_harness.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

std::map<std::string, AttrValue> rate(float r) {
  return {{"rate", AttrValue::ofFloat(r)}};
}

// Inputs away from 0, so a zero output always means "dropped".
HostTensor nonZero(const Dims& dims, uint64_t seed) {
  HostTensor x = testing::randomTensor(dims, seed, 0.5f, 1.5f);
  for (size_t i = 0; i < x.data.size(); i += 2) x.data[i] = -x.data[i];
  return x;
}

std::vector<bool> dropped(const std::vector<float>& y) {
  std::vector<bool> d(y.size());
  for (size_t i = 0; i < y.size(); ++i) d[i] = y[i] == 0.f;
  return d;
}

TEST(DropoutTest, ForwardMatchesReference) {
  // Every output is 0 or src / (1 - rate).
  for (auto [dims, r] :
       {std::pair{Dims{4, 3, 2, 2}, 0.3f}, std::pair{Dims{3, 13}, 0.5f},
        std::pair{Dims{2, 5, 7, 3}, 0.1f}}) {
    SCOPED_TRACE(dimsStr(dims));
    HostTensor x = nonZero(dims, 3);
    auto y = testing::runOp("Dropout", rate(r), {x}, /*training=*/true);
    ASSERT_EQ(y[0].dims, dims);
    int zeros = 0;
    for (size_t i = 0; i < x.data.size(); ++i) {
      if (y[0].data[i] == 0.f) {
        ++zeros;
        continue;
      }
      EXPECT_NEAR(y[0].data[i], x.data[i] / (1.f - r), 1e-6f) << i;
    }
    EXPECT_GT(zeros, 0);
    EXPECT_LT(zeros, int(x.data.size()));
  }
}

TEST(DropoutTest, DropFractionMatchesRate) {
  HostTensor x = nonZero({200, 500}, 4);
  for (float r : {0.1f, 0.3f, 0.5f, 0.8f}) {
    auto y = testing::runOp("Dropout", rate(r), {x}, /*training=*/true);
    int64_t zeros = 0;
    for (float v : y[0].data) zeros += v == 0.f;
    // 1e5 Bernoulli draws: sigma <= 0.0016, so 0.01 is over 6 sigma.
    EXPECT_NEAR(double(zeros) / 1e5, r, 0.01) << "rate " << r;
  }
}

TEST(DropoutTest, InferenceIsTheIdentity) {
  HostTensor x = testing::randomTensor({3, 4, 5, 6}, 5);
  for (float r : {0.f, 0.5f, 0.9f}) {
    auto y = testing::runOp("Dropout", rate(r), {x}, /*training=*/false);
    EXPECT_EQ(y[0].data, x.data);
  }
}

TEST(DropoutTest, RateZeroKeepsEverythingInTraining) {
  HostTensor x = testing::randomTensor({4, 9}, 6);
  auto y = testing::runOp("Dropout", rate(0.f), {x}, /*training=*/true);
  EXPECT_EQ(y[0].data, x.data);
}

TEST(DropoutTest, SameStepSameMaskOtherStepOtherMask) {
  HostTensor x = nonZero({8, 64}, 7);
  testing::OneOpPlan p("Dropout", rate(0.5f), {x}, Mode::Training);
  p.plan->setStep(5);
  p.plan->forward();
  std::vector<float> first = p.plan->readValue("out0");
  p.plan->forward();
  EXPECT_EQ(p.plan->readValue("out0"), first) << "same step, new mask";
  p.plan->setStep(6);
  p.plan->forward();
  std::vector<float> other = p.plan->readValue("out0");
  EXPECT_NE(dropped(other), dropped(first)) << "new step, same mask";
  p.plan->setStep(5);
  p.plan->forward();
  EXPECT_EQ(p.plan->readValue("out0"), first) << "step 5 does not repeat";
  // A plan with another seed draws another mask for the same step.
  p.plan->setSeed(99);
  p.plan->forward();
  EXPECT_NE(dropped(p.plan->readValue("out0")), dropped(first));
}

TEST(DropoutTest, GradientIsTheScaledMask) {
  HostTensor x = nonZero({6, 11}, 8);
  const float r = 0.4f;
  testing::OneOpPlan p("Dropout", rate(r), {x}, Mode::Training);
  std::vector<float> seed = testing::randomTensor({6, 11}, 9).data;
  auto g = p.gradients({0}, seed);
  std::vector<float> y = p.plan->readValue("out0");
  for (size_t i = 0; i < y.size(); ++i)
    EXPECT_NEAR(g[0][i], y[i] == 0.f ? 0.f : seed[i] / (1.f - r), 1e-6f) << i;
}

TEST(DropoutTest, BlockedSourceKeepsItsLayout) {
  using dnnl::memory;
  for (auto blocked : {memory::format_tag::nChw8c, memory::format_tag::nChw16c})
    for (Dims dims : {Dims{2, 13, 3, 3}, Dims{3, 3, 2, 5}}) {  // padded blocks
      SCOPED_TRACE(dimsStr(dims) + " tag " + std::to_string(int(blocked)));
      const float r = 0.3f;
      HostTensor x = nonZero(dims, 11);
      testing::OneOpPlan p("Dropout", rate(r), {x}, Mode::Training, {},
                           {{0, blocked}});
      EXPECT_EQ(p.outputDesc(),
                dnnl::memory::desc(ops::toDnnl(dims), ops::dt::f32, blocked));
      std::vector<float> seed = testing::randomTensor(dims, 12).data;
      auto g = p.gradients({0}, seed);
      std::vector<float> y = p.plan->readValue("out0");
      int zeros = 0;
      for (size_t i = 0; i < y.size(); ++i) {
        zeros += y[i] == 0.f;
        if (y[i] != 0.f) {
          EXPECT_NEAR(y[i], x.data[i] / (1.f - r), 1e-6f) << i;
        }
        EXPECT_NEAR(g[0][i], y[i] == 0.f ? 0.f : seed[i] / (1.f - r), 1e-6f)
            << i;
      }
      EXPECT_GT(zeros, 0);
      EXPECT_LT(zeros, int(y.size()));
      testing::OneOpPlan inf("Dropout", rate(r), {x}, Mode::Inference, {},
                             {{0, blocked}});
      inf.plan->forward();
      EXPECT_EQ(inf.plan->readValue("out0"), x.data);
    }
}

TEST(DropoutTest, GradientMatchesFiniteDifferences) {
  // The harness never changes the step, so every forward of the
  // finite-difference loop reuses the mask of the analytic pass.
  HostTensor x = testing::randomTensor({2, 5, 3, 3}, 10);
  auto r = testing::gradCheck("Dropout", rate(0.4f), {x}, SampleCase{});
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_EQ(r.checked, 90);
}

TEST(DropoutTest, RejectsRateOutsideZeroToOne) {
  for (float r : {1.f, 1.5f, -0.1f}) {
    SCOPED_TRACE("rate " + std::to_string(r));
    testing::expectRejects<AttrError>("Dropout", rate(r), {{2, 3}},
                                      "attribute 'rate': must be in [0, 1), "
                                      "found");
  }
}

}  // namespace
}  // namespace tapeflow
