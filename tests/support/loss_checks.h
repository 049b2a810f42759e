// tests/support/loss_checks.h - the checks the pointwise losses (HuberLoss,
// L1Loss, BinaryCrossEntropyWithLogits) share: forward against the reference
// for both reductions and several shapes, gradients against the reference
// derivative (plain and blocked pred), finite differences, rejections.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>

#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_loss.h"

namespace tapeflow::testing {

struct LossMath {
  std::string op;
  std::map<std::string, AttrValue> attrs;
  std::function<double(double, double)> f;      ///< per-element loss
  std::function<double(double, double)> dPred;   ///< its partials
  std::function<double(double, double)> dTarget;
  float predLow = -2.f, predHigh = 2.f, targetLow = -2.f, targetHigh = 2.f;
};

inline std::map<std::string, AttrValue> withReduction(const LossMath& m,
                                                      const std::string& r) {
  auto a = m.attrs;
  a["reduction"] = AttrValue::ofString(r);
  return a;
}

inline void checkLossForward(const LossMath& m) {
  uint64_t seed = 3;
  for (Dims dims : {Dims{4, 3}, Dims{2, 13}, Dims{2, 3, 5, 7}, Dims{9}})
    for (std::string r : {"mean", "sum"}) {
      SCOPED_TRACE(dimsStr(dims) + " " + r);
      HostTensor p = randomTensor(dims, seed++, m.predLow, m.predHigh);
      HostTensor t = randomTensor(dims, seed++, m.targetLow, m.targetHigh);
      auto y = runOp(m.op, withReduction(m, r), {p, t});
      ASSERT_EQ(y.size(), 1u);
      EXPECT_EQ(y[0].dims, Dims{});
      double want = reference::pointwiseLoss(p.data, t.data, r == "mean", m.f);
      EXPECT_NEAR(y[0].data[0], want, 1e-5 * std::max(1.0, std::fabs(want)));
    }
}

/// Both gradients for a loss gradient of 3, against the reference partials;
/// pred arrives plain and in nChw8c.
inline void checkLossGradients(const LossMath& m) {
  Dims dims{2, 13, 3, 2};
  HostTensor p = randomTensor(dims, 11, m.predLow, m.predHigh);
  HostTensor t = randomTensor(dims, 12, m.targetLow, m.targetHigh);
  for (bool blocked : {false, true})
    for (std::string r : {"mean", "sum"}) {
      SCOPED_TRACE(r + (blocked ? " nChw8c" : " plain"));
      auto run = runWithLayout(m.op, withReduction(m, r), {p, t},
                               {blocked, false},
                               dnnl::memory::format_tag::nChw8c, {3.f});
      double k = 3.0 / (r == "mean" ? double(p.data.size()) : 1.0);
      std::vector<float> dp, dt;
      for (size_t i = 0; i < p.data.size(); ++i) {
        dp.push_back(float(k * m.dPred(p.data[i], t.data[i])));
        dt.push_back(float(k * m.dTarget(p.data[i], t.data[i])));
      }
      expectClose(run.grads[0], dp, 1e-5, "d pred");
      expectClose(run.grads[1], dt, 1e-5, "d target");
    }
}

/// Central differences of both inputs, both reductions.
inline void checkLossFiniteDifferences(const LossMath& m, HostTensor p,
                                       HostTensor t) {
  for (std::string r : {"mean", "sum"}) {
    SCOPED_TRACE(r);
    auto res = gradCheck(m.op, withReduction(m, r), {p, t}, SampleCase{});
    EXPECT_TRUE(res.ok) << res.report;
    EXPECT_EQ(res.checked, int(p.data.size() + t.data.size()));
  }
}

inline void checkLossRejects(const LossMath& m, const std::string& predName) {
  expectRejects<ShapeError>(m.op, m.attrs, {{2, 3}, {3, 2}},
                            "input '" + predName +
                                "' [2,3] and input 'target' [3,2] must have "
                                "the same shape");
  expectRejects<AttrError>(m.op, withReduction(m, "max"), {{2, 3}, {2, 3}},
                           "attribute 'reduction' must be one of");
  expectThrowWith<ShapeError>(
      [&] {
        runOp(m.op, m.attrs,
              {randomTensor({2, 3}, 1), randomLabels({2, 3}, 2, 2)});
      },
      "input 'target' ('in1') must be f32, found i32");
}

}  // namespace tapeflow::testing
