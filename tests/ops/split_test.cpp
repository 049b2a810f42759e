// tests/ops/split_test.cpp - Split against a naive loop (given sizes, equal
// parts, uneven parts, blocked input), gradients by finite differences and
// as literals (an unused output contributes zero), a graph whose consumers
// read different outputs, and rejections.
#include <gtest/gtest.h>

#include "frontends/pbtxt/pbtxt_loader.h"
#include "ops/registry.h"
#include "tests/support/expect.h"
#include "tests/support/op_harness.h"

namespace tapeflow {
namespace {

using testing::HostTensor;
using Attrs = std::map<std::string, AttrValue>;

/// The parts of a row-major tensor cut along `axis` into `sizes`.
std::vector<std::vector<float>> reference(const HostTensor& x, size_t axis,
                                          const std::vector<int64_t>& sizes) {
  int64_t outer = 1, inner = 1;
  for (size_t k = 0; k < axis; ++k) outer *= x.dims[k];
  for (size_t k = axis + 1; k < x.dims.size(); ++k) inner *= x.dims[k];
  const int64_t dim = x.dims[axis];
  std::vector<std::vector<float>> out;
  int64_t off = 0;
  for (int64_t s : sizes) {
    std::vector<float> part;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t a = off; a < off + s; ++a)
        for (int64_t i = 0; i < inner; ++i) part.push_back(x.data[size_t((o * dim + a) * inner + i)]);
    out.push_back(part);
    off += s;
  }
  return out;
}

TEST(SplitTest, ForwardMatchesReference) {
  struct Config {
    Dims dims;
    Attrs attrs;
    size_t axis;
    std::vector<int64_t> sizes;
  };
  const std::vector<Config> configs = {
      {{2, 7, 3}, {{"axis", AttrValue::ofInt(1)}, {"split", AttrValue::ofInts({2, 5})}}, 1, {2, 5}},
      {{3, 10}, {{"axis", AttrValue::ofInt(-1)}, {"num_outputs", AttrValue::ofInt(3)}}, 1, {4, 4, 2}},
      {{6, 4}, {{"num_outputs", AttrValue::ofInt(2)}}, 0, {3, 3}},  // default axis 0
      {{2, 13, 3, 3}, {{"axis", AttrValue::ofInt(1)}, {"split", AttrValue::ofInts({5, 1, 7})}}, 1,
       {5, 1, 7}},
      {{2, 3, 4, 5}, {{"axis", AttrValue::ofInt(3)}, {"split", AttrValue::ofInts({1, 4})}}, 3, {1, 4}},
  };
  uint64_t seed = 1;
  for (const Config& c : configs) {
    SCOPED_TRACE(dimsStr(c.dims) + " axis " + std::to_string(c.axis));
    HostTensor x = testing::randomTensor(c.dims, seed++);
    auto want = reference(x, c.axis, c.sizes);
    for (bool training : {false, true}) {
      auto y = testing::runOp("Split", c.attrs, {x}, training);
      ASSERT_EQ(y.size(), c.sizes.size());
      for (size_t i = 0; i < y.size(); ++i) {
        Dims d = c.dims;
        d[c.axis] = c.sizes[i];
        EXPECT_EQ(y[i].dims, d) << i;
        EXPECT_EQ(y[i].data, want[i]) << i;
      }
    }
  }
}

TEST(SplitTest, Golden) {
  HostTensor x{{2, 3}, {1, 2, 3, 4, 5, 6}};
  auto y = testing::runOp("Split", {{"axis", AttrValue::ofInt(1)}, {"split", AttrValue::ofInts({1, 2})}},
                          {x});
  ASSERT_EQ(y.size(), 2u);
  EXPECT_EQ(y[0].data, (std::vector<float>{1, 4}));
  EXPECT_EQ(y[1].data, (std::vector<float>{2, 3, 5, 6}));
}

TEST(SplitTest, GradientMatchesFiniteDifferences) {
  SampleCase opts;  // a copy: no kink
  auto r = testing::gradCheck("Split", {{"axis", AttrValue::ofInt(1)}, {"split", AttrValue::ofInts({2, 1, 3})}},
                              {testing::randomTensor({2, 6, 2}, 1)}, opts);
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_EQ(r.checked, 24);
  auto r2 = testing::gradCheck("Split", {{"axis", AttrValue::ofInt(0)}, {"num_outputs", AttrValue::ofInt(2)}},
                               {testing::randomTensor({5, 3}, 2)}, opts);
  EXPECT_TRUE(r2.ok) << r2.report;
  EXPECT_EQ(r2.checked, 15);
}

TEST(SplitTest, BlockedInputGivesTheSameOutputsAndGradient) {
  HostTensor x = testing::randomTensor({2, 13, 3, 3}, 4);
  Attrs attrs{{"axis", AttrValue::ofInt(1)}, {"split", AttrValue::ofInts({8, 5})}};
  auto want = reference(x, 1, {8, 5});
  testing::OneOpPlan blocked("Split", attrs, {x}, Mode::Training, {},
                             {{0, dnnl::memory::format_tag::nChw8c}});
  auto g = blocked.gradients({0}, testing::randomTensor({2, 8, 3, 3}, 5).data);
  auto outs = blocked.outputs();
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_EQ(outs[0].data, want[0]);
  EXPECT_EQ(outs[1].data, want[1]);
  // Only out0 was seeded: its slice of d src is the seed, the rest zero.
  std::vector<float> seed = testing::randomTensor({2, 8, 3, 3}, 5).data;
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t c = 0; c < 13; ++c)
      for (int64_t k = 0; k < 9; ++k)
        EXPECT_EQ(g[0][size_t((n * 13 + c) * 9 + k)], c < 8 ? seed[size_t((n * 8 + c) * 9 + k)] : 0.f)
            << n << "," << c << "," << k;
}

// Consumers read the parts by name; the middle part is never used, so its
// slice of the gradient is zero.
TEST(SplitTest, ConsumersReadOutputsByNameAndAnUnusedOneContributesZero) {
  constexpr const char* kGraph = R"(format_version: 1
input { name: "x" shape: [-1, 5] }
param { name: "w" shape: [5] init { kind: "uniform" low: -1 high: 1 } }
node { name: "scale" op: "Mul" input: ["x", "w"] output: "xw" }
node { name: "cut" op: "Split" input: "xw" output: ["a", "b", "c"]
       attr { name: "axis" i: 1 } attr { name: "split" ints: [2, 1, 2] } }
node { name: "sa" op: "ReduceSum" input: "a" output: "sa" attr { name: "keepdims" i: 0 } }
node { name: "sq" op: "Square" input: "c" output: "c2" }
node { name: "sc" op: "ReduceSum" input: "c2" output: "sc" attr { name: "keepdims" i: 0 } }
node { name: "total" op: "Add" input: ["sa", "sc"] output: "loss" }
loss: "loss"
)";
  auto p = Program::build(parseGraphText(kGraph, "split.pbtxt"), ops::registry());
  EXPECT_EQ(p->value(p->findValue("b")).dims, (Dims{-1, 1}));
  EXPECT_EQ(p->value(p->findValue("c")).port, 2);
  ParamStore store(p);
  store.initialize(3);
  PlanOptions o;
  o.batch = 2;
  Plan plan(p, store, o);
  const float x[10] = {1, 2, 3, 4, 5, 2, 3, 4, 5, 6};
  std::copy(x, x + 10, hostPtr(plan.inputMemory("x")));
  plan.forward();
  plan.backward();
  const float* w = store.data(0);
  std::vector<float> g = plan.readGrad("w");
  // d loss / d w_j: sum_n x_nj for the first part, 0 for the unused one,
  // sum_n 2 x_nj^2 w_j for the squared part.
  EXPECT_FLOAT_EQ(g[0], 3.f);  // 1 + 2
  EXPECT_FLOAT_EQ(g[1], 5.f);  // 2 + 3
  EXPECT_EQ(g[2], 0.f);
  EXPECT_NEAR(g[3], 2 * (16 + 25) * w[3], 1e-4f);
  EXPECT_NEAR(g[4], 2 * (25 + 36) * w[4], 1e-4f);
}

TEST(SplitTest, RejectsBadSizesAndCounts) {
  using testing::expectRejects;
  expectRejects<AttrError>("Split", {{"split", AttrValue::ofInts({2, 2})}}, {{5, 3}},
                           "attribute 'split': sizes add up to 4, the axis has 5");
  expectRejects<AttrError>("Split", {{"split", AttrValue::ofInts({5, 0})}}, {{5, 3}},
                           "split[1] is 0; every part must be positive");
  expectRejects<AttrError>("Split", {{"axis", AttrValue::ofInt(2)}, {"num_outputs", AttrValue::ofInt(2)}},
                           {{4, 3}}, "must be in [-2, 1] for a rank 2 input, found 2");
  expectRejects<ShapeError>("Split", {{"num_outputs", AttrValue::ofInt(4)}}, {{5, 3}},
                            "cannot split 5 into 4 parts of 2 (the last would be empty)");
  expectRejects<AttrError>("Split",
                           {{"num_outputs", AttrValue::ofInt(2)}, {"split", AttrValue::ofInts({1, 4})}},
                           {{5, 3}}, "give either split or num_outputs, not both");
  // The node's outputs must match what the attributes say.
  Graph g = testing::oneOpGraph("Split", {{"split", AttrValue::ofInts({2, 3})}},
                                {testing::randomTensor({5}, 1)}, 3);
  testing::expectThrowWith<GraphError>([&] { Program::build(g, ops::registry()); },
                                       "its attributes give 2 outputs, the node lists 3");
  Graph none = testing::oneOpGraph("Split", {}, {testing::randomTensor({5}, 1)}, 0);
  testing::expectThrowWith<GraphError>([&] { Program::build(none, ops::registry()); },
                                       "expected at least 1 outputs, found 0");
}

}  // namespace
}  // namespace tapeflow
