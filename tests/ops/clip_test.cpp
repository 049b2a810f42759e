// tests/ops/clip_test.cpp - Clip against a naive loop (plain and blocked),
// defaults, gradients by finite differences away from both bounds,
// rejections.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "tests/support/unary_checks.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

testing::UnaryMath clipOf(float lo, float hi) {
  return {"Clip",
          {{"min", AttrValue::ofFloat(lo)}, {"max", AttrValue::ofFloat(hi)}},
          [lo, hi](double v) { return std::clamp(v, double(lo), double(hi)); },
          -1.f, 1.f};
}

TEST(ClipTest, ForwardMatchesReference) {
  testing::checkUnaryForward(clipOf(-0.5f, 0.25f));
  testing::checkUnaryForward(clipOf(0.f, 6.f));
}

TEST(ClipTest, DefaultsLeaveValuesUnchanged) {
  HostTensor x{{3}, {-1e30f, 0.5f, 1e30f}};
  auto y = testing::runOp("Clip", {}, {x});
  EXPECT_EQ(y[0].data, x.data);
}

TEST(ClipTest, OnlyMin) {
  auto y = testing::runOp("Clip", {{"min", AttrValue::ofFloat(0.f)}},
                          {HostTensor{{3}, {-2.f, 0.f, 7.f}}});
  EXPECT_EQ(y[0].data, (std::vector<float>{0.f, 0.f, 7.f}));
}

TEST(ClipTest, GradientPassesOnlyInside) {
  HostTensor x{{4}, {-1.f, -0.2f, 0.1f, 0.9f}};
  testing::OneOpPlan p("Clip",
                       {{"min", AttrValue::ofFloat(-0.5f)},
                        {"max", AttrValue::ofFloat(0.5f)}},
                       {x}, Mode::Training);
  auto g = p.gradients({0}, {1.f, 2.f, 3.f, 4.f});
  EXPECT_EQ(g[0], (std::vector<float>{0.f, 2.f, 3.f, 0.f}));
}

TEST(ClipTest, GradientMatchesFiniteDifferences) {
  // Inputs kept 0.05 away from both bounds (-0.5 and 0.5).
  HostTensor x = testing::randomTensor({2, 11, 3, 3}, 9);
  for (float& v : x.data)
    for (float bound : {-0.5f, 0.5f})
      if (std::fabs(v - bound) < 0.05f) v = bound + (v < bound ? -0.05f : 0.05f);
  auto r = testing::gradCheck(
      "Clip",
      {{"min", AttrValue::ofFloat(-0.5f)}, {"max", AttrValue::ofFloat(0.5f)}},
      {x}, SampleCase{});
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_EQ(r.checked, int(x.data.size()));
}

TEST(ClipTest, RejectsUnknownAttributeAndIntegerInput) {
  testing::checkUnaryRejects(clipOf(-1.f, 1.f));
}

TEST(ClipTest, RejectsMinAboveMax) {
  testing::expectRejects<AttrError>(
      "Clip", {{"min", AttrValue::ofFloat(2.f)}, {"max", AttrValue::ofFloat(1.f)}},
      {{2, 3}}, "attribute 'min': must be <= max (1), found 2");
}

}  // namespace
}  // namespace tapeflow
