// tests/ops/concat_test.cpp - Concat against a naive loop, a golden,
// gradients (plain and blocked inputs), shape and axis validation.
#include <gtest/gtest.h>

#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_pool.h"

namespace tapeflow {
namespace {

using testing::HostTensor;
using Attrs = std::map<std::string, AttrValue>;

struct Config {
  std::vector<Dims> dims;
  int64_t axis;
};

TEST(ConcatTest, ForwardMatchesReference) {
  std::vector<Config> configs = {
      {{{2, 3, 4}, {2, 5, 4}}, 1},
      {{{3, 2}, {3, 7}, {3, 1}}, -1},
      {{{4, 3}, {1, 3}}, 0},
      {{{2, 13}}, 1},  // one input: a copy
      {{{2, 13, 3, 3}, {2, 3, 3, 3}, {2, 8, 3, 3}}, 1},
      {{{2, 3, 2, 5}, {2, 3, 2, 1}}, -1},
      {{{2, 3, 2, 5}, {2, 3, 4, 5}}, -2},
  };
  uint64_t seed = 1;
  for (const Config& c : configs) {
    SCOPED_TRACE(dimsStr(c.dims[0]) + " axis " + std::to_string(c.axis));
    std::vector<HostTensor> xs;
    std::vector<std::vector<float>> data;
    for (const Dims& d : c.dims) {
      xs.push_back(testing::randomTensor(d, seed++));
      data.push_back(xs.back().data);
    }
    size_t axis =
        size_t(c.axis < 0 ? c.axis + int64_t(c.dims[0].size()) : c.axis);
    Dims out = c.dims[0];
    for (size_t i = 1; i < c.dims.size(); ++i) out[axis] += c.dims[i][axis];
    std::vector<float> want = reference::concat(data, c.dims, axis);
    for (bool training : {false, true}) {
      auto y = testing::runOp("Concat", {{"axis", AttrValue::ofInt(c.axis)}},
                              xs, training);
      ASSERT_EQ(y.size(), 1u);
      EXPECT_EQ(y[0].dims, out);
      EXPECT_EQ(y[0].data, want);
    }
  }
}

TEST(ConcatTest, Golden) {
  HostTensor a{{2, 2}, {1, 2, 3, 4}}, b{{2, 1}, {5, 6}};
  auto y = testing::runOp("Concat", {}, {a, b});  // default axis 1
  EXPECT_EQ(y[0].dims, (Dims{2, 3}));
  EXPECT_EQ(y[0].data, (std::vector<float>{1, 2, 5, 3, 4, 6}));
  auto z = testing::runOp("Concat", {{"axis", AttrValue::ofInt(-2)}}, {a, a});
  EXPECT_EQ(z[0].dims, (Dims{4, 2}));
  EXPECT_EQ(z[0].data, (std::vector<float>{1, 2, 3, 4, 1, 2, 3, 4}));
}

TEST(ConcatTest, GradientSplitsTheUpstreamGradient) {
  HostTensor a{{2, 1}, {1, 2}}, b{{2, 2}, {3, 4, 5, 6}};
  auto r = testing::runWithLayout("Concat", {}, {a, b}, {false, false},
                                  dnnl::memory::format_tag::ab,
                                  {10, 20, 30, 40, 50, 60});
  EXPECT_EQ(r.output, (std::vector<float>{1, 3, 4, 2, 5, 6}));
  EXPECT_EQ(r.grads[0], (std::vector<float>{10, 40}));
  EXPECT_EQ(r.grads[1], (std::vector<float>{20, 30, 50, 60}));
}

TEST(ConcatTest, GradientMatchesFiniteDifferences) {
  SampleCase opts;  // linear: no kink
  auto r = testing::gradCheck("Concat", {{"axis", AttrValue::ofInt(-1)}},
                              {testing::randomTensor({2, 3, 5}, 1),
                               testing::randomTensor({2, 3, 2}, 2)},
                              opts);
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_EQ(r.checked, 42);
  auto r0 = testing::gradCheck(
      "Concat", {{"axis", AttrValue::ofInt(0)}},
      {testing::randomTensor({1, 4}, 3), testing::randomTensor({3, 4}, 4)},
      opts);
  EXPECT_TRUE(r0.ok) << r0.report;
  EXPECT_EQ(r0.checked, 16);
}

TEST(ConcatTest, AcceptsBlockedInputs) {
  HostTensor a = testing::randomTensor({2, 13, 3, 3}, 1);
  HostTensor b = testing::randomTensor({2, 5, 3, 3}, 2);
  std::vector<float> seed = testing::randomTensor({2, 18, 3, 3}, 3).data;
  auto tag8 = dnnl::memory::format_tag::nChw8c;
  auto plain =
      testing::runWithLayout("Concat", {}, {a, b}, {false, false}, tag8, seed);
  EXPECT_EQ(plain.output,
            reference::concat({a.data, b.data}, {a.dims, b.dims}, 1));
  for (std::vector<bool> blocked :
       {std::vector<bool>{true, true}, std::vector<bool>{false, true}}) {
    auto r = testing::runWithLayout("Concat", {}, {a, b}, blocked, tag8, seed);
    EXPECT_EQ(r.output, plain.output);
    EXPECT_EQ(r.grads[0], plain.grads[0]);
    EXPECT_EQ(r.grads[1], plain.grads[1]);
  }
}

// Inputs that share a blocked layout in which each one's channels start at
// a multiple of the block hand it to the output: no layout conversion, the
// same values and gradients as plain inputs. A split inside a block (13 + 5
// above) or a mix of layouts falls back as counted below.
TEST(ConcatTest, SharedBlockedLayoutBecomesTheOutputLayout) {
  HostTensor a = testing::randomTensor({2, 8, 3, 3}, 1);
  HostTensor b = testing::randomTensor({2, 16, 3, 3}, 2);
  HostTensor c = testing::randomTensor({2, 8, 3, 3}, 3);
  std::vector<float> seed = testing::randomTensor({2, 32, 3, 3}, 4).data;
  auto tag8 = dnnl::memory::format_tag::nChw8c;
  auto plain = testing::runWithLayout("Concat", {}, {a, b, c},
                                      {false, false, false}, tag8, seed);
  EXPECT_EQ(plain.outputDesc, plainDesc({2, 32, 3, 3}));
  EXPECT_EQ(plain.output, reference::concat({a.data, b.data, c.data},
                                            {a.dims, b.dims, c.dims}, 1));
  auto blocked = testing::runWithLayout("Concat", {}, {a, b, c},
                                        {true, true, true}, tag8, seed);
  EXPECT_EQ(blocked.outputDesc,
            dnnl::memory::desc({2, 32, 3, 3}, dnnl::memory::data_type::f32, tag8));
  EXPECT_EQ(blocked.output, plain.output);
  // Two of three blocked: the majority's layout, the plain input converted.
  auto mixed = testing::runWithLayout("Concat", {}, {a, b, c},
                                      {false, true, true}, tag8, seed);
  EXPECT_EQ(mixed.outputDesc, blocked.outputDesc);
  EXPECT_EQ(mixed.output, plain.output);
  for (const auto* r : {&blocked, &mixed})
    for (size_t i = 0; i < 3; ++i) EXPECT_EQ(r->grads[i], plain.grads[i]) << i;
  // 13 + 5 + 14 channels: the second slice starts inside a block of 8.
  HostTensor d = testing::randomTensor({2, 13, 3, 3}, 5);
  HostTensor e = testing::randomTensor({2, 5, 3, 3}, 6);
  HostTensor f = testing::randomTensor({2, 14, 3, 3}, 7);
  auto split = testing::runWithLayout("Concat", {}, {d, e, f},
                                      {true, true, true}, tag8, seed);
  EXPECT_EQ(split.outputDesc, plainDesc({2, 32, 3, 3}));
  EXPECT_EQ(split.output, reference::concat({d.data, e.data, f.data},
                                            {d.dims, e.dims, f.dims}, 1));
  // 16 + 5: the last slice ends inside its (padded) block, which fits.
  HostTensor g = testing::randomTensor({2, 16, 3, 3}, 8);
  std::vector<float> seed21 = testing::randomTensor({2, 21, 3, 3}, 9).data;
  auto ref = testing::runWithLayout("Concat", {}, {g, e}, {false, false},
                                    tag8, seed21);
  auto tail = testing::runWithLayout("Concat", {}, {g, e}, {true, true},
                                     tag8, seed21);
  EXPECT_EQ(tail.outputDesc,
            dnnl::memory::desc({2, 21, 3, 3}, dnnl::memory::data_type::f32, tag8));
  EXPECT_EQ(tail.output,
            reference::concat({g.data, e.data}, {g.dims, e.dims}, 1));
  EXPECT_EQ(tail.grads[0], ref.grads[0]);
  EXPECT_EQ(tail.grads[1], ref.grads[1]);
}

int concatReorders(const std::map<int, dnnl::memory::format_tag>& layouts) {
  testing::OneOpPlan p("Concat", {},
                       {testing::randomTensor({2, 8, 3, 3}, 1),
                        testing::randomTensor({2, 16, 3, 3}, 2),
                        testing::randomTensor({2, 8, 3, 3}, 3)},
                       Mode::Training, {}, layouts);
  const auto& nodes = p.program->graph().nodes;
  for (size_t n = 0; n < nodes.size(); ++n)
    if (nodes[n].op == "Concat") return p.plan->nodeInfo(int(n)).reorders;
  ADD_FAILURE() << "no Concat node";
  return -1;
}

TEST(ConcatTest, CountsOnlyLayoutConversions) {
  auto tag8 = dnnl::memory::format_tag::nChw8c;
  EXPECT_EQ(concatReorders({}), 0);  // plain in, plain out
  EXPECT_EQ(concatReorders({{0, tag8}, {1, tag8}, {2, tag8}}), 0);
  // The plain input is converted into its slice and its gradient back.
  EXPECT_EQ(concatReorders({{1, tag8}, {2, tag8}}), 2);
}

template <class E>
void expectRejects(const std::vector<Dims>& dims, const Attrs& attrs,
                   const std::string& msg) {
  testing::expectRejects<E>("Concat", attrs, dims, msg);
}

TEST(ConcatTest, RejectsMismatchedShapes) {
  expectRejects<ShapeError>(
      {{2, 3, 4}, {2, 5, 4}, {2, 5, 3}}, {},
      "input 2 [2,5,3] differs from input 0 [2,3,4] in "
      "dimension 2 (3 vs 4); only the concat axis 1 may differ");
  expectRejects<ShapeError>(
      {{2, 3, 4}, {3, 3, 4}}, {},
      "input 1 [3,3,4] differs from input 0 [2,3,4] in dimension 0");
  expectRejects<ShapeError>(
      {{2, 3, 4}, {2, 3}}, {},
      "input 1 [2,3] has rank 2, expected 3 like input 0 [2,3,4]");
}

TEST(ConcatTest, RejectsAxisOutOfRange) {
  expectRejects<AttrError>(
      {{2, 3, 4}, {2, 3, 4}}, {{"axis", AttrValue::ofInt(3)}},
      "attribute 'axis': must be in [-3, 2] for rank 3 inputs, found 3");
  expectRejects<AttrError>({{2, 3}, {2, 3}}, {{"axis", AttrValue::ofInt(-3)}},
                           "must be in [-2, 1] for rank 2 inputs, found -3");
}

TEST(ConcatTest, RejectsNoInputs) {
  expectRejects<GraphError>({}, {}, "expected at least 1 inputs, found 0");
}

}  // namespace
}  // namespace tapeflow
