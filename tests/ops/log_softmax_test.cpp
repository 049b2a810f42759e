// tests/ops/log_softmax_test.cpp - LogSoftmax against a naive loop on several
// axes, extreme logits, gradients, axis checks.
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

TEST(LogSoftmaxTest, ForwardMatchesReference) {
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
    auto y = testing::runOp("LogSoftmax", axis(c.axis), {x});
    ASSERT_EQ(y.size(), 1u);
    EXPECT_EQ(y[0].dims, c.dims);
    std::vector<float> want =
        reference::softmax(x.data, c.dims, c.resolved, true);
    ASSERT_EQ(y[0].data.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i)
      EXPECT_NEAR(y[0].data[i], want[i], 1e-5f * (1 + std::fabs(want[i])));
  }
}

TEST(LogSoftmaxTest, DefaultAxisIsLast) {
  // log softmax([0, ln 2, ln 5]) = log([1/8, 2/8, 5/8]).
  HostTensor x{{2, 3}, {0.f, std::log(2.f), std::log(5.f), 1.f, 1.f, 1.f}};
  auto y = testing::runOp("LogSoftmax", {}, {x});
  std::vector<float> want{std::log(0.125f), std::log(0.25f), std::log(0.625f),
                          -std::log(3.f),   -std::log(3.f),  -std::log(3.f)};
  // NOTE: oneDNN's jit log is off by up to ~2e-6 (seen: -1.0986100 for
  // -log 3 = -1.0986123).
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(y[0].data[i], want[i], 5e-6f);
}

TEST(LogSoftmaxTest, ExtremeLogitsStayFinite) {
  // Where exp underflows, log-probabilities are still the logit differences.
  HostTensor x{{2, 3}, {1e4f, -1e4f, 0.f, -1e4f, -1e4f, -1e4f}};
  auto y = testing::runOp("LogSoftmax", {}, {x}, /*training=*/true);
  for (float v : y[0].data) ASSERT_TRUE(std::isfinite(v));
  EXPECT_NEAR(y[0].data[0], 0.f, 5e-6f);  // log(1), see DefaultAxisIsLast
  EXPECT_FLOAT_EQ(y[0].data[1], -2e4f);
  EXPECT_FLOAT_EQ(y[0].data[2], -1e4f);
  for (int i = 3; i < 6; ++i) EXPECT_NEAR(y[0].data[i], -std::log(3.f), 1e-5f);
}

TEST(LogSoftmaxTest, GradientMatchesFiniteDifferences) {
  SampleCase opts;    // smooth: no kink
  opts.step = 5e-2f;  // NOTE: see the sample cases in softmax_common.cpp
  struct Case {
    Dims dims;
    int64_t axis;
  };
  for (Case c : {Case{{4, 7}, -1}, Case{{2, 5, 3}, -2}, Case{{3, 2, 4}, 0}}) {
    SCOPED_TRACE(dimsStr(c.dims) + " axis " + std::to_string(c.axis));
    HostTensor x = testing::randomTensor(c.dims, 9, -2.f, 2.f);
    auto r = testing::gradCheck("LogSoftmax", axis(c.axis), {x}, opts);
    EXPECT_TRUE(r.ok) << r.report;
    EXPECT_EQ(r.checked, int(x.data.size()));
  }
}

TEST(LogSoftmaxTest, RejectsAxisOutOfRange) {
  HostTensor x = testing::randomTensor({2, 13, 3}, 1);
  for (int64_t a : {3, -4}) {
    try {
      testing::runOp("LogSoftmax", axis(a), {x});
      FAIL() << "expected an AttrError for axis " << a;
    } catch (const AttrError& e) {
      EXPECT_NE(std::string(e.what()).find(
                    "attribute 'axis': must be in [-3, 2] for input 'src' "
                    "[2,13,3], found " +
                    std::to_string(a)),
                std::string::npos)
          << e.what();
    }
  }
}

}  // namespace
}  // namespace tapeflow
