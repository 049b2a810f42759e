// tests/ops/scaled_tanh_test.cpp - ScaledTanh against a naive loop, LeCun's
// f(1) ~ 1, gradients for several (a, s), attribute checks, and folding into
// Linear as the post-op chain linear(s), tanh (scale a).
#include <gtest/gtest.h>

#include "tests/support/op_harness.h"
#include "tests/support/reference_activation.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

std::map<std::string, AttrValue> as(float a, float s) {
  return {{"a", AttrValue::ofFloat(a)}, {"s", AttrValue::ofFloat(s)}};
}

std::string attrErrorOf(const std::map<std::string, AttrValue>& attrs) {
  HostTensor x = testing::randomTensor({2, 3}, 1);
  try {
    testing::runOp("ScaledTanh", attrs, {x});
  } catch (const AttrError& e) {
    return e.what();
  }
  return "";
}

TEST(ScaledTanhTest, ForwardMatchesReference) {
  for (Dims dims : {Dims{2, 3, 4, 5}, Dims{3, 13}})
    for (auto [a, s] :
         {std::pair{1.7159f, 0.6666667f}, std::pair{-2.5f, 0.3f}}) {
      SCOPED_TRACE(dimsStr(dims) + " a " + std::to_string(a));
      HostTensor x = testing::randomTensor(dims, 3, -4.f, 4.f);
      for (bool training : {false, true}) {
        auto y = testing::runOp("ScaledTanh", as(a, s), {x}, training);
        ASSERT_EQ(y.size(), 1u);
        EXPECT_EQ(y[0].dims, dims);
        std::vector<float> want = reference::scaledTanh(x.data, a, s);
        ASSERT_EQ(y[0].data.size(), want.size());
        for (size_t i = 0; i < want.size(); ++i)
          EXPECT_NEAR(y[0].data[i], want[i], 2e-6f * (1 + std::fabs(want[i])));
      }
    }
}

TEST(ScaledTanhTest, DefaultsMapOneToAboutOne) {
  // LeCun 1998 chose A and S so that f(+-1) = +-1 and |f| < 1.7159.
  HostTensor x{{4}, {1.f, -1.f, 0.f, 30.f}};
  auto y = testing::runOp("ScaledTanh", {}, {x});
  EXPECT_NEAR(y[0].data[0], 1.f, 1e-4f);
  EXPECT_NEAR(y[0].data[1], -1.f, 1e-4f);
  EXPECT_EQ(y[0].data[2], 0.f);
  EXPECT_FLOAT_EQ(y[0].data[3], 1.7159f);
}

TEST(ScaledTanhTest, GradientMatchesFiniteDifferences) {
  SampleCase opts;  // smooth: no kink
  HostTensor x = testing::randomTensor({2, 11, 3, 3}, 9, -2.f, 2.f);
  for (auto [a, s] : {std::pair{1.7159f, 0.6666667f}, std::pair{-1.3f, 0.8f},
                      std::pair{0.5f, 2.f}}) {
    SCOPED_TRACE("a " + std::to_string(a) + " s " + std::to_string(s));
    auto r = testing::gradCheck("ScaledTanh", as(a, s), {x}, opts);
    EXPECT_TRUE(r.ok) << r.report;
    EXPECT_EQ(r.checked, 198);
  }
}

TEST(ScaledTanhTest, RejectsZeroA) {
  std::string msg = attrErrorOf(as(0.f, 1.f));
  EXPECT_NE(msg.find("attribute 'a': must be nonzero"), std::string::npos)
      << msg;
}

TEST(ScaledTanhTest, RejectsNonFiniteScale) {
  std::string msg = attrErrorOf(as(1.f, NAN));
  EXPECT_NE(msg.find("attribute 's': must be finite, found nan"),
            std::string::npos)
      << msg;
}

struct LinearTanhRun {
  std::vector<float> y, dx, dw, db;
  bool fused = false;
};

// y = ScaledTanh(Linear(x, w, b)), seeded with dy, with or without fusion.
LinearTanhRun runLinearScaledTanh(const HostTensor& x, const HostTensor& w,
                                  const HostTensor& b,
                                  const std::vector<float>& dy, float a,
                                  float s, bool fuse) {
  Graph g;
  g.name = "linear_scaled_tanh";
  g.file = "<test>";
  g.params = {testing::paramOf("x", x), testing::paramOf("w", w),
              testing::paramOf("b", b)};
  g.nodes = {testing::nodeOf("fc", "Linear", {"x", "w", "b"}, "h"),
             testing::nodeOf("act", "ScaledTanh", {"h"}, "y", as(a, s))};
  g.outputs = {"y"};
  PlanOptions opts;
  opts.mode = Mode::Training;
  opts.gradTargets = {"y"};
  opts.fuse = fuse;
  testing::GraphPlan p(g, opts);
  p.plan->forward();
  p.plan->seedGrad("y", dy.data());
  p.plan->backward();
  return {p.plan->readValue("y"), p.plan->readGrad("x"), p.plan->readGrad("w"),
          p.plan->readGrad("b"), p.plan->fused(1)};
}

TEST(ScaledTanhTest, FusesIntoLinearWithSameValuesAndGradients) {
  const float a = 1.7159f, s = 0.6666667f;
  HostTensor x = testing::randomTensor({4, 9}, 1, -2.f, 2.f);
  HostTensor w = testing::randomTensor({13, 9}, 2);  // 13: not a multiple of 8
  HostTensor b = testing::randomTensor({13}, 3);
  std::vector<float> dy = testing::randomTensor({4, 13}, 4).data;
  LinearTanhRun fused = runLinearScaledTanh(x, w, b, dy, a, s, true);
  LinearTanhRun plain = runLinearScaledTanh(x, w, b, dy, a, s, false);
  EXPECT_TRUE(fused.fused);
  EXPECT_FALSE(plain.fused);
  std::vector<float> h(4 * 13);
  for (int n = 0; n < 4; ++n)
    for (int o = 0; o < 13; ++o) {
      double acc = b.data[o];
      for (int k = 0; k < 9; ++k)
        acc += double(x.data[n * 9 + k]) * w.data[o * 9 + k];
      h[n * 13 + o] = float(acc);
    }
  std::vector<float> want = reference::scaledTanh(h, a, s);
  ASSERT_EQ(fused.y.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(fused.y[i], want[i], 1e-5f);
    EXPECT_NEAR(plain.y[i], want[i], 1e-5f);
  }
  auto expectClose = [](const std::vector<float>& p,
                        const std::vector<float>& q, const char* what) {
    ASSERT_EQ(p.size(), q.size()) << what;
    for (size_t i = 0; i < p.size(); ++i)
      EXPECT_NEAR(p[i], q[i], 1e-5f * (1 + std::fabs(q[i])))
          << what << " " << i;
  };
  expectClose(fused.dx, plain.dx, "dx");
  expectClose(fused.dw, plain.dw, "dw");
  expectClose(fused.db, plain.db, "db");
}

}  // namespace
}  // namespace tapeflow
