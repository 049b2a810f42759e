// tests/ops/pow_test.cpp - Pow against a naive loop (plain and blocked) for
// several exponents, gradients by finite differences, rejections.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/support/unary_checks.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

testing::UnaryMath powOf(float e) {
  return {"Pow", {{"exponent", AttrValue::ofFloat(e)}},
          [e](double v) { return std::pow(v, double(e)); }, 0.5f, 2.f};
}

TEST(PowTest, ForwardMatchesReference) {
  for (float e : {2.f, 3.f, 0.5f, -1.5f}) {
    SCOPED_TRACE(e);
    testing::checkUnaryForward(powOf(e));
  }
}

TEST(PowTest, IntegerExponentOfNegativeInput) {
  auto y = testing::runOp("Pow", {{"exponent", AttrValue::ofFloat(3.f)}},
                          {HostTensor{{2}, {-2.f, 1.5f}}});
  testing::expectClose(y[0].data, {-8.f, 3.375f}, 1e-6, "cube");
}

TEST(PowTest, GradientMatchesFiniteDifferences) {
  for (float e : {2.f, 0.5f, -1.5f}) {
    SCOPED_TRACE(e);
    testing::checkUnaryGradient(powOf(e));
  }
}

TEST(PowTest, RejectsUnknownAttributeAndIntegerInput) {
  testing::checkUnaryRejects(powOf(2.f));
}

TEST(PowTest, RejectsMissingOrNonFiniteExponent) {
  HostTensor x = testing::randomTensor({2, 3}, 1, 0.5f, 2.f);
  testing::expectThrowWith<AttrError>([&] { testing::runOp("Pow", {}, {x}); },
                                      "exponent");
  testing::expectThrowWith<AttrError>(
      [&] {
        testing::runOp("Pow", {{"exponent", AttrValue::ofFloat(NAN)}}, {x});
      },
      "attribute 'exponent': must be finite");
}

}  // namespace
}  // namespace tapeflow
