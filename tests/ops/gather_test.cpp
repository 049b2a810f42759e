// tests/ops/gather_test.cpp - Gather against a naive loop (axes, negative
// indices, repeated indices), scatter-add gradients, out-of-range indices
// reported at run time with the node's name.
#include <gtest/gtest.h>

#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_shape.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

HostTensor indices(const Dims& dims, std::vector<float> values) {
  return {dims, std::move(values), DType::I32};
}

TEST(GatherTest, ForwardMatchesReference) {
  struct Case {
    Dims data;
    int64_t axis;
    HostTensor idx;
    Dims out;
  };
  const Case cases[] = {
      {{2, 5, 3}, 1, indices({2, 2}, {4, 0, 0, 2}), {2, 2, 2, 3}},
      {{6, 13}, 0, indices({4}, {5, 1, 5, 3}), {4, 13}},
      {{3, 4}, -1, indices({3}, {-1, 0, -4}), {3, 3}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(dimsStr(c.data) + " axis " + std::to_string(c.axis));
    HostTensor x = testing::randomTensor(c.data, 3);
    auto y = testing::runOp("Gather", {{"axis", AttrValue::ofInt(c.axis)}},
                            {x, c.idx});
    EXPECT_EQ(y[0].dims, c.out);
    const int axis = int(c.axis < 0 ? c.axis + int64_t(c.data.size()) : c.axis);
    std::vector<int64_t> rows;
    for (float v : c.idx.data)
      rows.push_back(v < 0 ? int64_t(v) + c.data[size_t(axis)] : int64_t(v));
    EXPECT_EQ(y[0].data, reference::gather(x.data, c.data, rows, axis));
  }
}

TEST(GatherTest, GradientAddsRepeatedIndices) {
  HostTensor x = testing::randomTensor({4, 2}, 1);
  testing::OneOpPlan p("Gather", {}, {x, indices({3}, {1, 3, 1})},
                       Mode::Training);
  auto g = p.gradients({0}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(g[0], (std::vector<float>{0, 0, 1 + 5, 2 + 6, 0, 0, 3, 4}));
}

TEST(GatherTest, GradientMatchesFiniteDifferences) {
  HostTensor x = testing::randomTensor({3, 5, 2}, 9);
  auto r = testing::gradCheck("Gather", {{"axis", AttrValue::ofInt(1)}},
                              {x, indices({4}, {0, 4, -1, 2})}, SampleCase{});
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_EQ(r.checked, 30);
}

TEST(GatherTest, RejectsOutOfRangeIndicesAtRunTime) {
  HostTensor x = testing::randomTensor({3, 4}, 1);
  testing::expectThrowWith<DataError>(
      [&] {
        testing::runOp("Gather", {{"axis", AttrValue::ofInt(1)}},
                       {x, indices({2}, {1, 4})});
      },
      "node 'node' (Gather): index 4 at position 1 of input 'indices' is out "
      "of range for axis of size 4 (valid: -4 to 3)");
  testing::expectThrowWith<DataError>(
      [&] { testing::runOp("Gather", {}, {x, indices({1}, {-4})}); },
      "index -4 at position 0");
  testing::expectThrowWith<AttrError>(
      [&] {
        testing::runOp("Gather", {{"axis", AttrValue::ofInt(2)}},
                       {x, indices({1}, {0})});
      },
      "axis 2 is out of range [-2, 1]");
}

}  // namespace
}  // namespace tapeflow
