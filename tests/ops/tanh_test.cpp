// tests/ops/tanh_test.cpp - Tanh against a naive loop, literal values
// (including saturation), gradients.
#include <gtest/gtest.h>

#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_activation.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

TEST(TanhTest, ForwardMatchesReference) {
  for (Dims dims : {Dims{2, 3, 4, 5}, Dims{3, 13}}) {
    SCOPED_TRACE(dimsStr(dims));
    HostTensor x = testing::randomTensor(dims, 3, -4.f, 4.f);
    auto y = testing::runOp("Tanh", {}, {x});
    ASSERT_EQ(y.size(), 1u);
    EXPECT_EQ(y[0].dims, dims);
    std::vector<float> want = reference::tanh(x.data);
    ASSERT_EQ(y[0].data.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i)
      EXPECT_NEAR(y[0].data[i], want[i], 1e-6f);
  }
}

TEST(TanhTest, LiteralAndSaturatedValues) {
  HostTensor x{{4}, {0.f, 0.5f, -50.f, 50.f}};
  auto y = testing::runOp("Tanh", {}, {x});
  EXPECT_EQ(y[0].data[0], 0.f);
  EXPECT_NEAR(y[0].data[1], 0.46211716f, 1e-6f);
  EXPECT_EQ(y[0].data[2], -1.f);
  EXPECT_EQ(y[0].data[3], 1.f);
}

TEST(TanhTest, GradientMatchesFiniteDifferences) {
  SampleCase opts;  // smooth: no kink
  HostTensor x = testing::randomTensor({2, 11, 3, 3}, 9, -2.f, 2.f);
  auto r = testing::gradCheck("Tanh", {}, {x}, opts);
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_EQ(r.checked, 198);
}

TEST(TanhTest, RejectsUnknownAttribute) {
  HostTensor x = testing::randomTensor({2, 3}, 1);
  testing::expectThrowWith<AttrError>(
      [&] {
        testing::runOp("Tanh", {{"scale", AttrValue::ofFloat(2.f)}}, {x});
      },
      "unknown attribute 'scale'");
}

}  // namespace
}  // namespace tapeflow
