// tests/support/unary_checks.h - the checks the elementwise math op tests
// share: forward against a reference function on plain and blocked inputs,
// finite-difference gradients, and the rejections every unary op has.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>

#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_activation.h"

namespace tapeflow::testing {

/// A unary op, its attributes and its math for the reference checks.
struct UnaryMath {
  std::string op;
  std::map<std::string, AttrValue> attrs;
  std::function<double(double)> f;
  float low = -1.f, high = 1.f;  ///< input range
  float kink = 0.f;              ///< where the derivative jumps, if anywhere
  float kinkRange = -1.f;        ///< negative: no kink
};

/// Forward on [2,3,4,5], [3,13] (13: not a multiple of 8) and a blocked
/// nChw8c [2,13,3,3] input, against the reference within `tol`.
inline void checkUnaryForward(const UnaryMath& m, double tol = 1e-5) {
  uint64_t seed = 3;
  for (Dims dims : {Dims{2, 3, 4, 5}, Dims{3, 13}}) {
    HostTensor x = randomTensor(dims, seed++, m.low, m.high);
    auto y = runOp(m.op, m.attrs, {x});
    ASSERT_EQ(y.size(), 1u);
    EXPECT_EQ(y[0].dims, dims);
    expectClose(y[0].data, reference::map(x.data, m.f), tol,
                m.op + " " + dimsStr(dims));
  }
  HostTensor x = randomTensor({2, 13, 3, 3}, seed, m.low, m.high);
  LayoutRun run = runWithLayout(m.op, m.attrs, {x}, {true},
                                dnnl::memory::format_tag::nChw8c, {}, false);
  expectClose(run.output, reference::map(x.data, m.f), tol,
              m.op + " nChw8c [2,13,3,3]");
  // Backward from a blocked input matches backward from a plain one.
  std::vector<float> seedGrad = randomTensor(x.dims, 17).data;
  auto tag = dnnl::memory::format_tag::nChw8c;
  LayoutRun plain = runWithLayout(m.op, m.attrs, {x}, {false}, tag, seedGrad);
  LayoutRun blocked = runWithLayout(m.op, m.attrs, {x}, {true}, tag, seedGrad);
  ASSERT_EQ(blocked.grads.size(), 1u);
  expectClose(blocked.grads[0], plain.grads[0], 1e-5,
              m.op + " gradient, nChw8c input");
}

/// Central differences on [2,11,3,3] (plain) and [3,13].
inline void checkUnaryGradient(const UnaryMath& m) {
  SampleCase opts;
  opts.kink = m.kink;
  opts.kinkRange = m.kinkRange;
  for (Dims dims : {Dims{2, 11, 3, 3}, Dims{3, 13}}) {
    SCOPED_TRACE(dimsStr(dims));
    HostTensor x = randomTensor(dims, 9, m.low, m.high);
    auto r = gradCheck(m.op, m.attrs, {x}, opts);
    EXPECT_TRUE(r.ok) << r.report;
    EXPECT_GT(r.checked, int(x.data.size()) / 2);
  }
}

/// An unknown attribute and an integer input are refused.
inline void checkUnaryRejects(const UnaryMath& m) {
  HostTensor x = randomTensor({2, 3}, 1, m.low, m.high);
  auto attrs = m.attrs;
  attrs["bogus"] = AttrValue::ofFloat(1.f);
  expectThrowWith<AttrError>([&] { runOp(m.op, attrs, {x}); },
                             "unknown attribute 'bogus'");
  expectThrowWith<ShapeError>(
      [&] { runOp(m.op, m.attrs, {randomLabels({2, 3}, 1, 5)}); },
      "input 'src' ('in0') must be f32, found i32");
}

}  // namespace tapeflow::testing
