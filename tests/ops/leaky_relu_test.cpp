// tests/ops/leaky_relu_test.cpp - LeakyRelu against a naive loop, its kink,
// gradients, and the alpha >= 0 rule of its dst-based backward.
#include <gtest/gtest.h>

#include "tests/support/op_harness.h"
#include "tests/support/reference_activation.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

std::string attrErrorOf(float alpha) {
  HostTensor x = testing::randomTensor({2, 3}, 1);
  try {
    testing::runOp("LeakyRelu", {{"alpha", AttrValue::ofFloat(alpha)}}, {x});
  } catch (const AttrError& e) {
    return e.what();
  }
  return "";
}

TEST(LeakyReluTest, ForwardMatchesReference) {
  for (Dims dims : {Dims{2, 3, 4, 5}, Dims{3, 13}})
    for (float alpha : {0.01f, 0.2f, 1.5f}) {
      SCOPED_TRACE(dimsStr(dims) + " alpha " + std::to_string(alpha));
      HostTensor x = testing::randomTensor(dims, 3, -2.f, 2.f);
      auto y = testing::runOp("LeakyRelu",
                              {{"alpha", AttrValue::ofFloat(alpha)}}, {x});
      ASSERT_EQ(y.size(), 1u);
      EXPECT_EQ(y[0].dims, dims);
      std::vector<float> want = reference::leakyRelu(x.data, alpha);
      ASSERT_EQ(y[0].data.size(), want.size());
      for (size_t i = 0; i < want.size(); ++i)
        EXPECT_NEAR(y[0].data[i], want[i], 1e-6f * (1 + std::fabs(want[i])));
    }
}

TEST(LeakyReluTest, DefaultAlphaAndKinkValues) {
  HostTensor x{{4}, {-2.f, 0.f, 0.5f, 3.f}};
  auto y = testing::runOp("LeakyRelu", {}, {x});
  EXPECT_FLOAT_EQ(y[0].data[0], -0.02f);
  EXPECT_EQ(y[0].data[1], 0.f);
  EXPECT_EQ(y[0].data[2], 0.5f);
  EXPECT_EQ(y[0].data[3], 3.f);
}

TEST(LeakyReluTest, GradientMatchesFiniteDifferences) {
  SampleCase opts;  // kink at 0: skip points within 0.02 of it
  opts.kink = 0.f;
  opts.kinkRange = 0.02f;
  HostTensor x = testing::randomTensor({2, 11, 3, 3}, 9);
  auto r = testing::gradCheck("LeakyRelu",
                              {{"alpha", AttrValue::ofFloat(0.3f)}}, {x}, opts);
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_GT(r.checked, 100);
}

TEST(LeakyReluTest, RejectsNegativeAlpha) {
  std::string msg = attrErrorOf(-0.1f);
  EXPECT_NE(msg.find("attribute 'alpha': must be >= 0 (backward reads dst), "
                     "found -0.1"),
            std::string::npos)
      << msg;
}

TEST(LeakyReluTest, RejectsNonFiniteAlpha) {
  std::string msg = attrErrorOf(INFINITY);
  EXPECT_NE(msg.find("attribute 'alpha': must be finite"), std::string::npos)
      << msg;
}

TEST(LeakyReluTest, ZeroAlphaIsRelu) {
  HostTensor x = testing::randomTensor({3, 13}, 5);
  auto y =
      testing::runOp("LeakyRelu", {{"alpha", AttrValue::ofFloat(0.f)}}, {x});
  for (size_t i = 0; i < x.data.size(); ++i)
    EXPECT_EQ(y[0].data[i], std::max(x.data[i], 0.f));
}

}  // namespace
}  // namespace tapeflow
