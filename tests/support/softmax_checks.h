// tests/support/softmax_checks.h - the checks Softmax and LogSoftmax share
// (as the ops share ops/internal/softmax_common.cpp): forward against the
// reference on several shapes and axes, the finite-difference check, and
// axes out of range.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>

#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_activation.h"

namespace tapeflow::testing {

inline std::map<std::string, AttrValue> axisAttr(int64_t a) {
  return {{"axis", AttrValue::ofInt(a)}};
}

/// Forward on several shapes and axes against reference::softmax (`log`:
/// its logarithm); element i may differ from want by tolerance(want).
inline void checkSoftmaxForward(const std::string& op, bool log,
                                const std::function<float(float)>& tolerance) {
  struct Case {
    Dims dims;
    int64_t axis;
    int resolved;
  };
  for (Case c :
       {Case{{3, 10}, -1, 1}, Case{{2, 13, 3}, 1, 1}, Case{{2, 13, 3}, 0, 0},
        Case{{2, 13, 3}, -1, 2}, Case{{7}, 0, 0}}) {
    SCOPED_TRACE(dimsStr(c.dims) + " axis " + std::to_string(c.axis));
    HostTensor x = randomTensor(c.dims, 3, -5.f, 5.f);
    auto y = runOp(op, axisAttr(c.axis), {x});
    ASSERT_EQ(y.size(), 1u);
    EXPECT_EQ(y[0].dims, c.dims);
    std::vector<float> want =
        reference::softmax(x.data, c.dims, c.resolved, log);
    ASSERT_EQ(y[0].data.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i)
      EXPECT_NEAR(y[0].data[i], want[i], tolerance(want[i]));
  }
}

/// Finite differences on several shapes and axes (no kink).
inline void checkSoftmaxGradient(const std::string& op,
                                 const SampleCase& opts) {
  struct Case {
    Dims dims;
    int64_t axis;
  };
  for (Case c : {Case{{4, 7}, -1}, Case{{2, 5, 3}, -2}, Case{{3, 2, 4}, 0}}) {
    SCOPED_TRACE(dimsStr(c.dims) + " axis " + std::to_string(c.axis));
    HostTensor x = randomTensor(c.dims, 9, -2.f, 2.f);
    auto r = gradCheck(op, axisAttr(c.axis), {x}, opts);
    EXPECT_TRUE(r.ok) << r.report;
    EXPECT_EQ(r.checked, int(x.data.size()));
  }
}

/// The two axes just outside [-rank, rank - 1] of `dims`.
inline void checkSoftmaxRejectsAxis(const std::string& op, const Dims& dims) {
  int64_t rank = int64_t(dims.size());
  for (int64_t a : {rank, -rank - 1}) {
    SCOPED_TRACE("axis " + std::to_string(a));
    expectRejects<AttrError>(
        op, axisAttr(a), {dims},
        "attribute 'axis': must be in [" + std::to_string(-rank) + ", " +
            std::to_string(rank - 1) + "] for input 'src' " + dimsStr(dims) +
            ", found " + std::to_string(a));
  }
}

}  // namespace tapeflow::testing
