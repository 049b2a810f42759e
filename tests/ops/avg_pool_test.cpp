// tests/ops/avg_pool_test.cpp - AvgPool against a naive loop (padding
// counted and not counted), goldens, gradients, attribute validation.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/program.h"
#include "ops/registry.h"
#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/pool_cases.h"
#include "tests/support/reference_pool.h"

namespace tapeflow {
namespace {

using testing::HostTensor;
using Attrs = std::map<std::string, AttrValue>;

AttrValue ints(std::vector<int64_t> v) {
  return AttrValue::ofInts(std::move(v));
}

TEST(AvgPoolTest, ForwardMatchesReference) {
  for (const testing::PoolCase& c : testing::poolCases())
    for (int include : {0, 1}) {
      SCOPED_TRACE(dimsStr(c.dims) + " kernel " + c.attrs.at("kernel").str() +
                   " count_include_pad " + std::to_string(include));
      Attrs attrs = c.attrs;
      attrs["count_include_pad"] = AttrValue::ofInt(include);
      HostTensor x = testing::randomTensor(c.dims, 5);
      std::vector<float> want =
          reference::pool2d(x.data, c.dims[0], c.dims[1], c.dims[2], c.dims[3],
                            c.window, true, include == 1);
      for (bool training : {false, true}) {
        auto y = testing::runOp("AvgPool", attrs, {x}, training);
        ASSERT_EQ(y.size(), 1u);
        EXPECT_EQ(y[0].dims[2], c.window.outH(c.dims[2]));
        EXPECT_EQ(y[0].dims[3], c.window.outW(c.dims[3]));
        testing::expectClose(y[0].data, want, 1e-4);
      }
    }
}

TEST(AvgPoolTest, TwoByTwoGolden) {
  HostTensor x{{1, 1, 4, 4},
               {1, 5, 2, 0,  //
                3, 4, 7, 1,  //
                9, 0, 2, 2,  //
                8, 6, 3, 5}};
  auto y = testing::runOp("AvgPool", {{"kernel", ints({2, 2})}}, {x});
  EXPECT_EQ(y[0].dims, (Dims{1, 1, 2, 2}));
  testing::expectClose(y[0].data, {13.f / 4, 10.f / 4, 23.f / 4, 12.f / 4},
                       1e-4);
}

TEST(AvgPoolTest, SamePaddingCountedOrNot) {
  // 3 -> ceil(3/2) = 2 outputs; one pad row/column after the input (TF).
  HostTensor x{{1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}};
  Attrs attrs{{"kernel", ints({2, 2})},
              {"stride", ints({2, 2})},
              {"padding", AttrValue::ofString("SAME")}};
  auto exclude = testing::runOp("AvgPool", attrs, {x});
  EXPECT_EQ(exclude[0].dims, (Dims{1, 1, 2, 2}));
  testing::expectClose(exclude[0].data, {3.f, 4.5f, 7.5f, 9.f}, 1e-4);
  attrs["count_include_pad"] = AttrValue::ofInt(1);
  auto include = testing::runOp("AvgPool", attrs, {x});
  testing::expectClose(include[0].data, {3.f, 9.f / 4, 15.f / 4, 9.f / 4},
                       1e-4);
}

TEST(AvgPoolTest, GradientMatchesFiniteDifferences) {
  SampleCase opts;  // linear: no kink
  HostTensor x = testing::randomTensor({2, 5, 7, 7}, 11);
  for (int include : {0, 1}) {
    auto r =
        testing::gradCheck("AvgPool",
                           {{"kernel", ints({3, 2})},
                            {"stride", ints({2, 1})},
                            {"padding", AttrValue::ofString("EXPLICIT")},
                            {"pads", ints({1, 1, 2, 0})},
                            {"count_include_pad", AttrValue::ofInt(include)}},
                           {x}, opts);
    EXPECT_TRUE(r.ok) << r.report;
    EXPECT_EQ(r.checked, 490);
  }
}

TEST(AvgPoolTest, KeepsBlockedInputLayout) {
  Dims dims{2, 13, 6, 7};
  Attrs attrs{{"kernel", ints({3, 3})},
              {"stride", ints({2, 2})},
              {"padding", AttrValue::ofString("SAME")}};
  HostTensor x = testing::randomTensor(dims, 3);
  std::vector<float> seed = testing::randomTensor({2, 13, 3, 4}, 4).data;
  auto tag8 = dnnl::memory::format_tag::nChw8c;
  auto plain =
      testing::runWithLayout("AvgPool", attrs, {x}, {false}, tag8, seed);
  auto blocked =
      testing::runWithLayout("AvgPool", attrs, {x}, {true}, tag8, seed);
  EXPECT_EQ(
      blocked.outputDesc,
      dnnl::memory::desc({2, 13, 3, 4}, dnnl::memory::data_type::f32, tag8));
  testing::expectClose(blocked.output, plain.output, 1e-4);
  testing::expectClose(blocked.grads[0], plain.grads[0], 1e-4);
}

TEST(AvgPoolTest, CountsOneFlopPerWindowElement) {
  HostTensor x = testing::randomTensor({2, 3, 6, 6}, 1);
  auto p = Program::build(
      testing::oneOpGraph("AvgPool",
                          {{"kernel", ints({3, 3})},
                           {"stride", ints({1, 1})},
                           {"padding", AttrValue::ofString("SAME")}},
                          {x}, 1),
      ops::registry());
  EXPECT_EQ(p->flopsPerSample(0), 2 * 3 * 6 * 6 * 9);
}

template <class E>
void expectRejects(const Dims& dims, const Attrs& attrs,
                   const std::string& msg) {
  testing::expectRejects<E>("AvgPool", attrs, {dims}, msg);
}

TEST(AvgPoolTest, RejectsBadAttributes) {
  Dims d{1, 2, 6, 6};
  expectRejects<AttrError>(
      d, {{"kernel", ints({2, 2})}, {"count_include_pad", AttrValue::ofInt(2)}},
      "attribute 'count_include_pad': must be 0 or 1, found 2");
  expectRejects<AttrError>(d, {{"kernel", ints({0, 0})}},
                           "attribute 'kernel': values must be positive");
  expectRejects<AttrError>(
      d, {{"kernel", ints({2})}},
      "attribute 'kernel': must have 2 values [h, w], found 1");
  expectRejects<AttrError>(d,
                           {{"kernel", ints({2, 2})}, {"stride", ints({0, 1})}},
                           "attribute 'stride': values must be positive");
  expectRejects<AttrError>(
      d, {{"kernel", ints({2, 2})}, {"pads", ints({0, 0, 1, 1})}},
      "is only allowed with padding EXPLICIT, found padding VALID");
  expectRejects<ShapeError>(
      {1, 2, 6, 2}, {{"kernel", ints({3, 3})}},
      "window of 3 along W is larger than the padded input (2)");
}

}  // namespace
}  // namespace tapeflow
