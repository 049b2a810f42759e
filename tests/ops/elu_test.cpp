// tests/ops/elu_test.cpp - Elu against a naive loop, a literal value,
// gradients, and the alpha >= 0 rule of its dst-based backward.
#include <gtest/gtest.h>

#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_activation.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

TEST(EluTest, ForwardMatchesReference) {
  for (Dims dims : {Dims{2, 3, 4, 5}, Dims{3, 13}})
    for (float alpha : {1.f, 0.5f, 2.f}) {
      SCOPED_TRACE(dimsStr(dims) + " alpha " + std::to_string(alpha));
      HostTensor x = testing::randomTensor(dims, 3, -3.f, 3.f);
      auto y =
          testing::runOp("Elu", {{"alpha", AttrValue::ofFloat(alpha)}}, {x});
      ASSERT_EQ(y.size(), 1u);
      EXPECT_EQ(y[0].dims, dims);
      std::vector<float> want = reference::elu(x.data, alpha);
      ASSERT_EQ(y[0].data.size(), want.size());
      for (size_t i = 0; i < want.size(); ++i)
        EXPECT_NEAR(y[0].data[i], want[i], 1e-5f * (1 + std::fabs(want[i])));
    }
}

TEST(EluTest, DefaultAlphaValues) {
  // elu(-1) = exp(-1) - 1, elu(-20) ~ -alpha, elu(0) = 0, elu(2) = 2.
  HostTensor x{{4}, {-1.f, -20.f, 0.f, 2.f}};
  auto y = testing::runOp("Elu", {}, {x});
  EXPECT_NEAR(y[0].data[0], -0.63212056f, 1e-6f);
  EXPECT_NEAR(y[0].data[1], -1.f, 1e-6f);
  EXPECT_EQ(y[0].data[2], 0.f);
  EXPECT_EQ(y[0].data[3], 2.f);
}

TEST(EluTest, GradientMatchesFiniteDifferences) {
  // alpha 0.7: the derivative jumps at 0 (1 vs 0.7); skip points near it.
  SampleCase opts;
  opts.kink = 0.f;
  opts.kinkRange = 0.02f;
  HostTensor x = testing::randomTensor({2, 11, 3, 3}, 9, -2.f, 2.f);
  auto r = testing::gradCheck("Elu", {{"alpha", AttrValue::ofFloat(0.7f)}}, {x},
                              opts);
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_GT(r.checked, 100);
}

TEST(EluTest, RejectsNegativeAlpha) {
  HostTensor x = testing::randomTensor({2, 3}, 1);
  testing::expectThrowWith<AttrError>(
      [&] {
        testing::runOp("Elu", {{"alpha", AttrValue::ofFloat(-1.f)}}, {x});
      },
      "attribute 'alpha': must be >= 0 (backward reads dst), found -1");
}

}  // namespace
}  // namespace tapeflow
