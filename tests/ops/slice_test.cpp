// tests/ops/slice_test.cpp - Slice against a naive loop (negative and
// clamped bounds, steps, default axes, blocked input), gradients,
// rejections.
#include <gtest/gtest.h>

#include "ops/op_kit.h"
#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_shape.h"

namespace tapeflow {
namespace {

using testing::HostTensor;
using Ints = std::vector<int64_t>;

std::map<std::string, AttrValue> sliceAttrs(Ints starts, Ints ends, Ints axes,
                                            Ints steps = {}) {
  std::map<std::string, AttrValue> a = {
      {"starts", AttrValue::ofInts(std::move(starts))},
      {"ends", AttrValue::ofInts(std::move(ends))},
      {"axes", AttrValue::ofInts(std::move(axes))}};
  if (!steps.empty()) a["steps"] = AttrValue::ofInts(std::move(steps));
  return a;
}

TEST(SliceTest, ForwardMatchesReference) {
  struct Case {
    Dims in;
    std::map<std::string, AttrValue> attrs;
    Dims out;
    Ints begin, step;  // resolved, per axis of src
  };
  const Case cases[] = {
      // negative start, end far past the dim (clamped), step 2
      {{2, 3, 6, 5}, sliceAttrs({1, -4}, {6, 1000}, {2, -1}, {2, 1}),
       {2, 3, 3, 4}, {0, 0, 1, 1}, {1, 1, 2, 1}},
      // 13 columns (not a multiple of 8), negative end
      {{3, 13}, sliceAttrs({2}, {-2}, {1}), {3, 9}, {0, 2}, {1, 1}},
      // start before the beginning is clamped to 0; step 3
      {{7, 4}, sliceAttrs({-100, 1}, {7, 3}, {0, 1}, {3, 1}), {3, 2},
       {0, 1}, {3, 1}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(dimsStr(c.in) + " -> " + dimsStr(c.out));
    HostTensor x = testing::randomTensor(c.in, 3);
    auto y = testing::runOp("Slice", c.attrs, {x});
    ASSERT_EQ(y.size(), 1u);
    EXPECT_EQ(y[0].dims, c.out);
    EXPECT_EQ(y[0].data,
              reference::slice(x.data, c.in, c.out, c.begin, c.step));
  }
}

TEST(SliceTest, AxesDefaultToTheLeadingDims) {
  HostTensor x = testing::randomTensor({4, 5}, 2);
  auto y = testing::runOp("Slice",
                          {{"starts", AttrValue::ofInts({1, 0})},
                           {"ends", AttrValue::ofInts({3, 2})}},
                          {x});
  EXPECT_EQ(y[0].dims, (Dims{2, 2}));
  EXPECT_EQ(y[0].data, reference::slice(x.data, {4, 5}, {2, 2}, {1, 0}, {1, 1}));
}

TEST(SliceTest, GradientScattersIntoZeros) {
  const Dims dims = {2, 13, 4, 3};
  HostTensor x = testing::randomTensor(dims, 5);
  auto attrs = sliceAttrs({1, 1}, {12, 4}, {1, 2}, {3, 2});
  const Dims out = {2, 4, 2, 3};
  std::vector<float> seed = testing::randomTensor(out, 6).data;
  for (bool blocked : {false, true}) {
    SCOPED_TRACE(blocked ? "nChw8c" : "plain");
    auto run = testing::runWithLayout("Slice", attrs, {x}, {blocked},
                                      dnnl::memory::format_tag::nChw8c, seed);
    EXPECT_EQ(run.output,
              reference::slice(x.data, dims, out, {0, 1, 1, 0}, {1, 3, 2, 1}));
    std::vector<float> want(size_t(numel(dims)), 0.f);
    for (int64_t f = 0; f < numel(out); ++f) {
      auto o = reference::unravel(f, out);
      o[1] = 1 + 3 * o[1];
      o[2] = 1 + 2 * o[2];
      want[size_t(reference::ravel(o, dims))] = seed[size_t(f)];
    }
    EXPECT_EQ(run.grads[0], want);
  }
}

TEST(SliceTest, GradientMatchesFiniteDifferences) {
  HostTensor x = testing::randomTensor({3, 5, 4}, 9);
  auto r = testing::gradCheck("Slice", sliceAttrs({0, -3}, {2, 4}, {0, 2}),
                              {x}, SampleCase{});
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_EQ(r.checked, 60);
}

TEST(SliceTest, Rejects) {
  testing::expectRejects<AttrError>("Slice", sliceAttrs({0}, {2}, {1}, {-1}),
                                    {{3, 4}},
                                    "'steps': must be positive, found -1");
  testing::expectRejects<AttrError>("Slice", sliceAttrs({0}, {2, 3}, {1}),
                                    {{3, 4}}, "'ends': has 2 entries");
  testing::expectRejects<AttrError>("Slice", sliceAttrs({0}, {2}, {2}),
                                    {{3, 4}}, "axis 2 is out of range [-2, 1]");
  testing::expectRejects<ShapeError>(
      "Slice", sliceAttrs({3}, {2}, {1}), {{3, 4}},
      "slice 3:2:1 of axis 1 (size 4) of input 'src' [3,4] selects no "
      "elements");
}

}  // namespace
}  // namespace tapeflow
