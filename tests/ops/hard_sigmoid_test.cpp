// tests/ops/hard_sigmoid_test.cpp - HardSigmoid against a naive loop (plain
// and blocked), ONNX's defaults, the saturated regions' zero gradient,
// finite differences, rejections.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/support/reference_math.h"
#include "tests/support/unary_checks.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

testing::UnaryMath hardSigmoidOf(float alpha, float beta) {
  return {"HardSigmoid",
          {{"alpha", AttrValue::ofFloat(alpha)},
           {"beta", AttrValue::ofFloat(beta)}},
          [alpha, beta](double v) {
            return reference::hardSigmoid(v, alpha, beta);
          },
          -4.f, 4.f};
}

TEST(HardSigmoidTest, ForwardMatchesReference) {
  testing::checkUnaryForward(hardSigmoidOf(0.2f, 0.5f));
  testing::checkUnaryForward(hardSigmoidOf(1.f / 6.f, 0.5f));  // PyTorch's
}

TEST(HardSigmoidTest, OnnxDefaults) {
  auto y = testing::runOp("HardSigmoid", {},
                          {HostTensor{{4}, {-3.f, 0.f, 1.f, 3.f}}});
  testing::expectClose(y[0].data, {0.f, 0.5f, 0.7f, 1.f}, 1e-6, "defaults");
}

TEST(HardSigmoidTest, GradientIsAlphaInsideAndZeroOutside) {
  HostTensor x{{3}, {-3.f, 1.f, 3.f}};
  testing::OneOpPlan p("HardSigmoid", {}, {x}, Mode::Training);
  auto g = p.gradients({0}, {1.f, 2.f, 1.f});
  testing::expectClose(g[0], {0.f, 0.4f, 0.f}, 1e-6, "gradient");
}

TEST(HardSigmoidTest, GradientMatchesFiniteDifferences) {
  // Kinks at +-2.5 (defaults) lie outside [-1, 1).
  testing::UnaryMath m = hardSigmoidOf(0.2f, 0.5f);
  m.low = -1.f;
  m.high = 1.f;
  testing::checkUnaryGradient(m);
}

TEST(HardSigmoidTest, RejectsUnknownAttributeAndIntegerInput) {
  testing::checkUnaryRejects(hardSigmoidOf(0.2f, 0.5f));
}

TEST(HardSigmoidTest, RejectsNonFiniteAlpha) {
  testing::expectRejects<AttrError>("HardSigmoid",
                                    {{"alpha", AttrValue::ofFloat(NAN)}},
                                    {{2, 3}}, "attribute 'alpha': must be finite");
}

}  // namespace
}  // namespace tapeflow
