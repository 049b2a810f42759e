// tests/ops/group_norm_test.cpp - GroupNorm against a naive loop (several
// group counts and ranks, blocked input), gradients (all inputs and each
// alone), rejections.
#include <gtest/gtest.h>

#include "ops/op_kit.h"
#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_norm.h"

namespace tapeflow {
namespace {

using testing::expectClose;
using testing::HostTensor;

std::vector<HostTensor> inputs(const Dims& dims, uint64_t seed) {
  return {testing::randomTensor(dims, seed, -2.f, 3.f),
          testing::randomTensor({dims[1]}, seed + 1, 0.5f, 2.f),
          testing::randomTensor({dims[1]}, seed + 2)};
}

TEST(GroupNormTest, ForwardMatchesReference) {
  struct Case {
    Dims dims;
    int64_t groups;
  };
  for (const Case& c : {Case{{2, 6, 3, 2}, 3}, Case{{3, 13, 4}, 1},
                        Case{{2, 13, 2, 2}, 13}, Case{{4, 8}, 2}}) {
    SCOPED_TRACE(dimsStr(c.dims) + " groups " + std::to_string(c.groups));
    auto in = inputs(c.dims, 3);
    const float eps = 1e-3f;
    auto y = testing::runOp("GroupNorm",
                            {{"num_groups", AttrValue::ofInt(c.groups)},
                             {"epsilon", AttrValue::ofFloat(eps)}},
                            in);
    EXPECT_EQ(y[0].dims, c.dims);
    const int64_t s = numel(c.dims) / (c.dims[0] * c.dims[1]);
    expectClose(y[0].data,
                reference::groupNorm(in[0].data, c.dims[0], c.dims[1], s,
                                     c.groups, in[1].data, in[2].data, eps),
                1e-4f);
  }
}

TEST(GroupNormTest, BlockedInputMatchesPlain) {
  const Dims dims = {2, 16, 3, 2};
  auto in = inputs(dims, 5);
  std::vector<float> seed = testing::randomTensor(dims, 6).data;
  auto attrs = std::map<std::string, AttrValue>{
      {"num_groups", AttrValue::ofInt(4)}};
  auto plain = testing::runWithLayout("GroupNorm", attrs, in,
                                      {false, false, false},
                                      dnnl::memory::format_tag::nChw8c, seed);
  auto blocked = testing::runWithLayout("GroupNorm", attrs, in,
                                        {true, false, false},
                                        dnnl::memory::format_tag::nChw8c, seed);
  expectClose(blocked.output,
              reference::groupNorm(in[0].data, 2, 16, 6, 4, in[1].data,
                                   in[2].data, 1e-5f),
              1e-4f);
  for (int i = 0; i < 3; ++i) expectClose(blocked.grads[i], plain.grads[i], 1e-5f);
}

TEST(GroupNormTest, GradientMatchesFiniteDifferences) {
  for (int64_t groups : {1, 2, 4}) {
    SCOPED_TRACE(groups);
    auto in = inputs({3, 4, 5}, 7);
    auto r = testing::gradCheck("GroupNorm",
                                {{"num_groups", AttrValue::ofInt(groups)}}, in,
                                SampleCase{});
    EXPECT_TRUE(r.ok) << r.report;
    EXPECT_EQ(r.checked, 60 + 8);
  }
}

TEST(GroupNormTest, EachGradientAloneMatchesAll) {
  auto in = inputs({2, 6, 2, 2}, 9);
  std::vector<float> seed = testing::randomTensor({2, 6, 2, 2}, 10).data;
  auto attrs = std::map<std::string, AttrValue>{
      {"num_groups", AttrValue::ofInt(3)}};
  testing::OneOpPlan all("GroupNorm", attrs, in, Mode::Training);
  auto full = all.gradients({0, 1, 2}, seed);
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    std::vector<int> frozen;
    for (int k = 0; k < 3; ++k)
      if (k != i) frozen.push_back(k);
    testing::OneOpPlan one("GroupNorm", attrs, in, Mode::Training, frozen);
    expectClose(one.gradients({i}, seed)[i], full[i], 1e-6f);
  }
}

TEST(GroupNormTest, Rejects) {
  testing::expectRejects<AttrError>(
      "GroupNorm", {{"num_groups", AttrValue::ofInt(4)}}, {{2, 6, 3}, {6}, {6}},
      "must be positive and divide the 6 channels of src [2,6,3], found 4");
  testing::expectRejects<ShapeError>(
      "GroupNorm", {{"num_groups", AttrValue::ofInt(2)}}, {{2, 6, 3}, {3}, {6}},
      "input 'scale' [3] must be [6]");
  testing::expectRejects<AttrError>("GroupNorm", {}, {{2, 6}, {6}, {6}},
                                    "missing required attribute 'num_groups'");
}

}  // namespace
}  // namespace tapeflow
