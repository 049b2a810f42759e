// tests/ops/swish_test.cpp - Swish against a naive loop (plain and blocked)
// for several betas, gradients by finite differences, rejections.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/support/reference_math.h"
#include "tests/support/unary_checks.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

testing::UnaryMath swishOf(float beta) {
  return {"Swish", {{"beta", AttrValue::ofFloat(beta)}},
          [beta](double v) { return reference::swish(v, beta); }, -4.f, 4.f};
}

TEST(SwishTest, ForwardMatchesReference) {
  for (float beta : {1.f, 0.5f, 2.f}) {
    SCOPED_TRACE(beta);
    testing::checkUnaryForward(swishOf(beta));
  }
}

TEST(SwishTest, DefaultBetaIsOne) {
  HostTensor x = testing::randomTensor({3, 13}, 5, -3.f, 3.f);
  auto y = testing::runOp("Swish", {}, {x});
  testing::expectClose(y[0].data,
                       reference::map(x.data, [](double v) {
                         return reference::swish(v, 1.0);
                       }),
                       1e-5, "default beta");
}

TEST(SwishTest, GradientMatchesFiniteDifferences) {
  testing::checkUnaryGradient(swishOf(1.f));
  testing::checkUnaryGradient(swishOf(1.7f));
}

TEST(SwishTest, RejectsUnknownAttributeAndIntegerInput) {
  testing::checkUnaryRejects(swishOf(1.f));
}

TEST(SwishTest, RejectsNonFiniteBeta) {
  testing::expectRejects<AttrError>("Swish",
                                    {{"beta", AttrValue::ofFloat(INFINITY)}},
                                    {{2, 3}}, "attribute 'beta': must be finite");
}

}  // namespace
}  // namespace tapeflow
