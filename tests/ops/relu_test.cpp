// tests/ops/relu_test.cpp - Relu against a naive loop, its kink, gradients.
#include <gtest/gtest.h>

#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_ops.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

TEST(ReluTest, ForwardMatchesReference) {
  for (Dims dims : {Dims{2, 3, 4, 5}, Dims{3, 13}}) {
    HostTensor x = testing::randomTensor(dims, 3);
    auto y = testing::runOp("Relu", {}, {x});
    ASSERT_EQ(y.size(), 1u);
    EXPECT_EQ(y[0].dims, dims);
    std::vector<float> want = reference::relu(x.data);
    ASSERT_EQ(y[0].data.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(y[0].data[i], want[i]);
  }
}

TEST(ReluTest, KinkHasZeroGradient) {
  HostTensor x{{4}, {-1.f, 0.f, 0.5f, 2.f}};
  auto y = testing::runOp("Relu", {}, {x});
  EXPECT_EQ(y[0].data, (std::vector<float>{0.f, 0.f, 0.5f, 2.f}));
}

TEST(ReluTest, GradientMatchesFiniteDifferences) {
  SampleCase opts;
  opts.kink = 0.f;
  opts.kinkRange = 0.02f;
  HostTensor x = testing::randomTensor({2, 11, 3, 3}, 9);
  auto r = testing::gradCheck("Relu", {}, {x}, opts);
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_GT(r.checked, 100);
}

TEST(ReluTest, RejectsUnknownAttribute) {
  HostTensor x = testing::randomTensor({2, 3}, 1);
  testing::expectThrowWith<AttrError>(
      [&] {
        testing::runOp("Relu", {{"slope", AttrValue::ofFloat(0.1f)}}, {x});
      },
      "unknown attribute 'slope'");
}

}  // namespace
}  // namespace tapeflow
