// tests/ops/sigmoid_test.cpp - Sigmoid against a naive loop, literal values
// (including saturation), gradients.
#include <gtest/gtest.h>

#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_activation.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

TEST(SigmoidTest, ForwardMatchesReference) {
  for (Dims dims : {Dims{2, 3, 4, 5}, Dims{3, 13}}) {
    SCOPED_TRACE(dimsStr(dims));
    HostTensor x = testing::randomTensor(dims, 3, -6.f, 6.f);
    auto y = testing::runOp("Sigmoid", {}, {x});
    ASSERT_EQ(y.size(), 1u);
    EXPECT_EQ(y[0].dims, dims);
    std::vector<float> want = reference::sigmoid(x.data);
    ASSERT_EQ(y[0].data.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i)
      EXPECT_NEAR(y[0].data[i], want[i], 1e-6f);
  }
}

TEST(SigmoidTest, LiteralAndSaturatedValues) {
  HostTensor x{{4}, {0.f, 2.f, -100.f, 100.f}};
  auto y = testing::runOp("Sigmoid", {}, {x});
  EXPECT_EQ(y[0].data[0], 0.5f);
  EXPECT_NEAR(y[0].data[1], 0.88079708f, 1e-6f);
  EXPECT_NEAR(y[0].data[2], 0.f, 1e-30f);
  EXPECT_EQ(y[0].data[3], 1.f);
}

TEST(SigmoidTest, GradientMatchesFiniteDifferences) {
  SampleCase opts;  // smooth: no kink
  HostTensor x = testing::randomTensor({2, 11, 3, 3}, 9, -3.f, 3.f);
  auto r = testing::gradCheck("Sigmoid", {}, {x}, opts);
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_EQ(r.checked, 198);
}

TEST(SigmoidTest, RejectsUnknownAttribute) {
  HostTensor x = testing::randomTensor({2, 3}, 1);
  testing::expectThrowWith<AttrError>(
      [&] {
        testing::runOp("Sigmoid", {{"alpha", AttrValue::ofFloat(0.1f)}}, {x});
      },
      "unknown attribute 'alpha'");
}

}  // namespace
}  // namespace tapeflow
