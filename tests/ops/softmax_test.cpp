// tests/ops/softmax_test.cpp - Softmax against a naive loop on several axes,
// extreme logits, gradients, axis checks.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/support/op_harness.h"
#include "tests/support/reference_activation.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

std::map<std::string, AttrValue> axis(int64_t a) {
  return {{"axis", AttrValue::ofInt(a)}};
}

TEST(SoftmaxTest, ForwardMatchesReference) {
  struct Case {
    Dims dims;
    int64_t axis;
    int resolved;
  };
  for (Case c :
       {Case{{3, 10}, -1, 1}, Case{{2, 13, 3}, 1, 1}, Case{{2, 13, 3}, 0, 0},
        Case{{2, 13, 3}, -1, 2}, Case{{7}, 0, 0}}) {
    SCOPED_TRACE(dimsStr(c.dims) + " axis " + std::to_string(c.axis));
    HostTensor x = testing::randomTensor(c.dims, 3, -5.f, 5.f);
    auto y = testing::runOp("Softmax", axis(c.axis), {x});
    ASSERT_EQ(y.size(), 1u);
    EXPECT_EQ(y[0].dims, c.dims);
    std::vector<float> want =
        reference::softmax(x.data, c.dims, c.resolved, false);
    ASSERT_EQ(y[0].data.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i)
      EXPECT_NEAR(y[0].data[i], want[i], 1e-4f * want[i] + 1e-7f);
  }
}

TEST(SoftmaxTest, DefaultAxisIsLast) {
  // Rows of [2,3] sum to 1: softmax([0, ln 2, ln 5]) = [1/8, 2/8, 5/8].
  HostTensor x{{2, 3}, {0.f, std::log(2.f), std::log(5.f), 1.f, 1.f, 1.f}};
  auto y = testing::runOp("Softmax", {}, {x});
  std::vector<float> want{0.125f, 0.25f, 0.625f, 1 / 3.f, 1 / 3.f, 1 / 3.f};
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(y[0].data[i], want[i], 1e-6f);
}

TEST(SoftmaxTest, ExtremeLogitsStayFinite) {
  HostTensor x{{2, 3}, {1e4f, -1e4f, 0.f, -1e4f, -1e4f, -1e4f}};
  auto y = testing::runOp("Softmax", {}, {x}, /*training=*/true);
  for (float v : y[0].data) ASSERT_TRUE(std::isfinite(v));
  EXPECT_EQ(y[0].data[0], 1.f);
  EXPECT_EQ(y[0].data[1], 0.f);
  EXPECT_EQ(y[0].data[2], 0.f);
  for (int i = 3; i < 6; ++i) EXPECT_NEAR(y[0].data[i], 1 / 3.f, 1e-6f);
}

TEST(SoftmaxTest, GradientMatchesFiniteDifferences) {
  SampleCase opts;  // smooth: no kink
  struct Case {
    Dims dims;
    int64_t axis;
  };
  for (Case c : {Case{{4, 7}, -1}, Case{{2, 5, 3}, -2}, Case{{3, 2, 4}, 0}}) {
    SCOPED_TRACE(dimsStr(c.dims) + " axis " + std::to_string(c.axis));
    HostTensor x = testing::randomTensor(c.dims, 9, -2.f, 2.f);
    auto r = testing::gradCheck("Softmax", axis(c.axis), {x}, opts);
    EXPECT_TRUE(r.ok) << r.report;
    EXPECT_EQ(r.checked, int(x.data.size()));
  }
}

TEST(SoftmaxTest, RejectsAxisOutOfRange) {
  HostTensor x = testing::randomTensor({2, 3}, 1);
  for (int64_t a : {2, -3}) {
    try {
      testing::runOp("Softmax", axis(a), {x});
      FAIL() << "expected an AttrError for axis " << a;
    } catch (const AttrError& e) {
      EXPECT_NE(std::string(e.what()).find(
                    "attribute 'axis': must be in [-2, 1] for input 'src' "
                    "[2,3], found " +
                    std::to_string(a)),
                std::string::npos)
          << e.what();
    }
  }
}

}  // namespace
}  // namespace tapeflow
