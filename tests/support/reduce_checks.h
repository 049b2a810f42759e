// tests/support/reduce_checks.h - the checks ReduceSum, ReduceMean and
// ReduceMax share: forward against the reference for axes/keepdims forms
// (plain and blocked input), gradients by finite differences and from a
// blocked input, and the attribute and shape rejections.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_math.h"

namespace tapeflow::testing {

struct ReduceCase {
  Dims in;
  std::vector<int64_t> axes;
  int64_t keepdims;
  Dims out;
  std::vector<bool> reduced;  ///< per axis of `in`
};

inline std::vector<ReduceCase> reduceCases() {
  return {{{2, 3, 4, 5}, {1}, 1, {2, 1, 4, 5}, {false, true, false, false}},
          {{2, 3, 4, 5}, {-1, -2}, 0, {2, 3}, {false, false, true, true}},
          {{3, 13}, {}, 1, {1, 1}, {true, true}},
          {{3, 13}, {}, 0, {}, {true, true}},
          {{2, 13, 3}, {0, 2}, 0, {13}, {true, false, true}},
          {{7}, {0}, 1, {1}, {true}},
          {{2, 1, 3}, {1}, 0, {2, 3}, {false, true, false}}};  // nothing reduced
}

inline std::map<std::string, AttrValue> reduceAttrs(const ReduceCase& c) {
  return {{"axes", AttrValue::ofInts(c.axes)},
          {"keepdims", AttrValue::ofInt(c.keepdims)}};
}

inline void checkReduceForward(const std::string& op, reference::Reduce r) {
  uint64_t seed = 1;
  for (const ReduceCase& c : reduceCases()) {
    SCOPED_TRACE(dimsStr(c.in) + " -> " + dimsStr(c.out));
    HostTensor x = randomTensor(c.in, seed++);
    auto y = runOp(op, reduceAttrs(c), {x});
    ASSERT_EQ(y.size(), 1u);
    EXPECT_EQ(y[0].dims, c.out);
    expectClose(y[0].data, reference::reduce(x.data, c.in, c.reduced, r), 1e-5,
                op);
  }
  // A blocked input (from a conv), reduced over channels and over H, W.
  for (std::vector<int64_t> axes : {std::vector<int64_t>{1}, {2, 3}}) {
    HostTensor x = randomTensor({2, 13, 3, 3}, 50);
    std::vector<bool> reduced(4, false);
    for (int64_t a : axes) reduced[a] = true;
    auto run = runWithLayout(op, {{"axes", AttrValue::ofInts(axes)}}, {x},
                             {true}, dnnl::memory::format_tag::nChw8c, {},
                             false);
    expectClose(run.output, reference::reduce(x.data, x.dims, reduced, r),
                1e-5, op + " nChw8c");
  }
}

/// Finite differences over every case; `distinct` spaces values apart
/// (ReduceMax: no near-ties).
inline void checkReduceGradient(const std::string& op, bool distinct) {
  uint64_t seed = 20;
  for (const ReduceCase& c : reduceCases()) {
    SCOPED_TRACE(dimsStr(c.in) + " -> " + dimsStr(c.out));
    HostTensor x = randomTensor(c.in, seed++, -1.f, 1.f, distinct);
    auto r = gradCheck(op, reduceAttrs(c), {x}, SampleCase{});
    EXPECT_TRUE(r.ok) << r.report;
    EXPECT_EQ(r.checked, int(x.data.size()));
  }
  // From a blocked input: the same gradient as from a plain one.
  HostTensor x = randomTensor({2, 13, 3, 3}, 60, -1.f, 1.f, distinct);
  std::vector<float> seedGrad = randomTensor({1, 13, 1, 1}, 61).data;
  std::map<std::string, AttrValue> attrs{{"axes", AttrValue::ofInts({0, 2, 3})}};
  auto tag = dnnl::memory::format_tag::nChw8c;
  auto plain = runWithLayout(op, attrs, {x}, {false}, tag, seedGrad);
  auto blocked = runWithLayout(op, attrs, {x}, {true}, tag, seedGrad);
  expectClose(blocked.grads[0], plain.grads[0], 1e-6, op + " nChw8c gradient");
}

inline void checkReduceRejects(const std::string& op) {
  expectRejects<AttrError>(op, {{"axes", AttrValue::ofInts({2})}}, {{2, 3}},
                           "attribute 'axes': axis 2 is out of range for "
                           "input 'src' [2,3] (allowed [-2, 1])");
  expectRejects<AttrError>(op, {{"axes", AttrValue::ofInts({-3})}}, {{2, 3}},
                           "axis -3 is out of range");
  expectRejects<AttrError>(op, {{"axes", AttrValue::ofInts({1, -1})}},
                           {{2, 3}}, "axis -1 is listed twice");
  expectRejects<AttrError>(op, {{"keepdims", AttrValue::ofInt(2)}}, {{2, 3}},
                           "attribute 'keepdims': must be 0 or 1, found 2");
  expectRejects<ShapeError>(op, {}, {{}}, "input 'src' [] must have rank >= 1");
}

}  // namespace tapeflow::testing
