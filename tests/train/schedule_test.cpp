// tests/train/schedule_test.cpp - learning-rate schedules and warm-up at
// chosen steps against values worked out by hand.
#include "train/schedule.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace tapeflow {
namespace {

// Every test: base lr 0.1 and 10 steps per epoch, so epoch = step / 10.
constexpr int64_t kPerEpoch = 10;

SolverConfig schedule(const char* name) {
  SolverConfig c;
  c.lr = 0.1f;
  c.schedule = name;
  return c;
}

float at(const SolverConfig& c, int64_t step) {
  return learningRate(c, step, kPerEpoch);
}

TEST(ScheduleTest, ConstantKeepsTheBaseRate) {
  SolverConfig c = schedule("constant");
  EXPECT_FLOAT_EQ(at(c, 0), 0.1f);
  EXPECT_FLOAT_EQ(at(c, 12345), 0.1f);
}

TEST(ScheduleTest, StepDecaysEveryStepEpochs) {
  SolverConfig c = schedule("step");
  c.stepEpochs = 2;
  c.gamma = 0.1f;
  EXPECT_FLOAT_EQ(at(c, 0), 0.1f);
  EXPECT_FLOAT_EQ(at(c, 19), 0.1f);    // epoch 1.9
  EXPECT_FLOAT_EQ(at(c, 20), 0.01f);   // epoch 2: 0.1 * 0.1^1
  EXPECT_FLOAT_EQ(at(c, 45), 0.001f);  // epoch 4.5: 0.1 * 0.1^2
}

TEST(ScheduleTest, StepHitsFractionalBoundariesAsWritten) {
  // 0.3 epochs = 3 steps, though 0.3f is 0.30000001 and step 3's epoch 0.3
  // would come out just below one period.
  SolverConfig c = schedule("step");
  c.stepEpochs = 0.3f;
  c.gamma = 0.5f;
  EXPECT_FLOAT_EQ(at(c, 2), 0.1f);
  EXPECT_FLOAT_EQ(at(c, 3), 0.05f);  // 0.1 * 0.5
  EXPECT_FLOAT_EQ(at(c, 5), 0.05f);
  EXPECT_FLOAT_EQ(at(c, 6), 0.025f);   // 0.1 * 0.5^2
  EXPECT_FLOAT_EQ(at(c, 9), 0.0125f);  // 0.1 * 0.5^3
  // 0.1 epochs = 1 step; in double, step 3's 0.3 / 0.1 is 2.9999999999999996.
  c.stepEpochs = 0.1f;
  EXPECT_FLOAT_EQ(at(c, 3), 0.0125f);  // 0.1 * 0.5^3
}

TEST(ScheduleTest, MultistepCountsMilestonesPassed) {
  SolverConfig c = schedule("multistep");
  c.milestones = {2.f, 5.f};
  c.gamma = 0.5f;
  EXPECT_FLOAT_EQ(at(c, 19), 0.1f);
  EXPECT_FLOAT_EQ(at(c, 20), 0.05f);  // epoch 2: one milestone passed
  EXPECT_FLOAT_EQ(at(c, 49), 0.05f);
  EXPECT_FLOAT_EQ(at(c, 50), 0.025f);  // epoch 5: two passed
  EXPECT_FLOAT_EQ(at(c, 100), 0.025f);
  c.milestones = {0.7f};
  EXPECT_FLOAT_EQ(at(c, 6), 0.1f);
  EXPECT_FLOAT_EQ(at(c, 7), 0.05f);  // 0.7 epochs = 7 steps exactly
}

TEST(ScheduleTest, ExponentialDecaysContinuously) {
  SolverConfig c = schedule("exponential");
  c.gamma = 0.5f;
  EXPECT_FLOAT_EQ(at(c, 0), 0.1f);
  EXPECT_FLOAT_EQ(at(c, 10), 0.05f);          // 0.1 * 0.5^1
  EXPECT_FLOAT_EQ(at(c, 5), 0.0707106781f);   // 0.1 * 0.5^0.5
  EXPECT_FLOAT_EQ(at(c, 25), 0.0176776695f);  // 0.1 * 0.5^2.5
  c.gamma = 0.9f;
  EXPECT_FLOAT_EQ(at(c, 15), 0.0853814968f);  // 0.1 * 0.9^1.5
}

TEST(ScheduleTest, CosineFallsToTheFloor) {
  SolverConfig c = schedule("cosine");
  c.epochs = 10;
  c.minLr = 0.01f;
  EXPECT_FLOAT_EQ(at(c, 0), 0.1f);
  // epoch 2.5: 0.01 + 0.09 * (1 + cos(pi/4)) / 2 = 0.01 + 0.09 * 0.853553
  EXPECT_FLOAT_EQ(at(c, 25), 0.0868198052f);
  // epoch 5: 0.01 + 0.09 * (1 + 0) / 2
  EXPECT_FLOAT_EQ(at(c, 50), 0.055f);
  EXPECT_FLOAT_EQ(at(c, 100), 0.01f);
  EXPECT_FLOAT_EQ(at(c, 150), 0.01f);  // past the end: stays at the floor
}

TEST(ScheduleTest, WarmupRampsLinearlyFromTheFirstStep) {
  SolverConfig c = schedule("constant");
  c.warmupEpochs = 0.5f;  // 5 steps: factors 1/5, 2/5, ..., 5/5
  EXPECT_FLOAT_EQ(at(c, 0), 0.02f);
  EXPECT_FLOAT_EQ(at(c, 1), 0.04f);
  EXPECT_FLOAT_EQ(at(c, 3), 0.08f);
  EXPECT_FLOAT_EQ(at(c, 4), 0.1f);
  EXPECT_FLOAT_EQ(at(c, 5), 0.1f);
  EXPECT_FLOAT_EQ(at(c, 500), 0.1f);
}

TEST(ScheduleTest, WarmupMultipliesTheSchedule) {
  SolverConfig c = schedule("cosine");
  c.epochs = 10;
  c.warmupEpochs = 1;  // 10 steps
  // step 4: epoch 0.4, cosine 0.1 * (1 + cos(0.04 pi)) / 2 = 0.0996057,
  // times the warm-up factor 5/10
  EXPECT_FLOAT_EQ(at(c, 4), 0.0498028675f);
  // step 10: warm-up over, cosine at epoch 1: 0.1 * (1 + cos(0.1 pi)) / 2
  EXPECT_FLOAT_EQ(at(c, 10), 0.0975528258f);
}

TEST(ScheduleTest, RejectsBadStepsPerEpoch) {
  SolverConfig c = schedule("constant");
  EXPECT_THROW(learningRate(c, 0, 0), UsageError);
  EXPECT_THROW(learningRate(c, -1, 10), UsageError);
  c.schedule = "linear";
  EXPECT_THROW(learningRate(c, 0, 10), UsageError);
}

}  // namespace
}  // namespace tapeflow
