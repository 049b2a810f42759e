// tests/ops/max_pool_test.cpp - MaxPool against a naive loop, padding
// goldens, gradients (plain and blocked layouts), attribute validation.
#include <gtest/gtest.h>

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

TEST(MaxPoolTest, ForwardMatchesReference) {
  for (const testing::PoolCase& c : testing::poolCases()) {
    SCOPED_TRACE(dimsStr(c.dims) + " kernel " + c.attrs.at("kernel").str());
    HostTensor x = testing::randomTensor(c.dims, 5);
    std::vector<float> want =
        reference::pool2d(x.data, c.dims[0], c.dims[1], c.dims[2], c.dims[3],
                          c.window, false, false);
    for (bool training : {false, true}) {
      auto y = testing::runOp("MaxPool", c.attrs, {x}, training);
      ASSERT_EQ(y.size(), 1u);
      EXPECT_EQ(y[0].dims, (Dims{c.dims[0], c.dims[1], c.window.outH(c.dims[2]),
                                 c.window.outW(c.dims[3])}));
      ASSERT_EQ(y[0].data.size(), want.size());
      for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(y[0].data[i], want[i]);
    }
  }
}

TEST(MaxPoolTest, TwoByTwoGolden) {
  HostTensor x{{1, 1, 4, 4},
               {1, 5, 2, 0,  //
                3, 4, 7, 1,  //
                9, 0, 2, 2,  //
                8, 6, 3, 5}};
  auto y = testing::runOp("MaxPool", {{"kernel", ints({2, 2})}}, {x});
  EXPECT_EQ(y[0].dims, (Dims{1, 1, 2, 2}));
  EXPECT_EQ(y[0].data, (std::vector<float>{5, 7, 9, 5}));
}

TEST(MaxPoolTest, SamePaddingGoesAtTheEndAndNeverWins) {
  // 5 -> ceil(5/2) = 3 outputs; one pad row/column, after the input (TF).
  // All inputs negative: a zero-valued pad would win if it were counted.
  HostTensor x{{1, 1, 5, 5}, {}};
  for (int i = 0; i < 25; ++i) x.data.push_back(-float(i + 1));
  auto y = testing::runOp("MaxPool",
                          {{"kernel", ints({2, 2})},
                           {"stride", ints({2, 2})},
                           {"padding", AttrValue::ofString("SAME")}},
                          {x});
  EXPECT_EQ(y[0].dims, (Dims{1, 1, 3, 3}));
  EXPECT_EQ(y[0].data,
            (std::vector<float>{-1, -3, -5, -11, -13, -15, -21, -23, -25}));
}

TEST(MaxPoolTest, GradientRoutesToTheMaximum) {
  HostTensor x{{1, 1, 2, 4}, {1, 6, 2, 3, 5, 4, 8, 7}};
  auto r = testing::runWithLayout("MaxPool", {{"kernel", ints({2, 2})}}, {x},
                                  {false}, dnnl::memory::format_tag::nchw,
                                  {10.f, 20.f});
  EXPECT_EQ(r.output, (std::vector<float>{6, 8}));
  EXPECT_EQ(r.grads[0], (std::vector<float>{0, 10, 0, 0, 0, 0, 20, 0}));
}

TEST(MaxPoolTest, GradientMatchesFiniteDifferences) {
  SampleCase opts;  // distinct values > one step apart: no ties cross
  HostTensor x = testing::randomTensor({2, 5, 7, 7}, 11, -4.f, 4.f, true);
  auto r = testing::gradCheck("MaxPool",
                              {{"kernel", ints({3, 2})},
                               {"stride", ints({2, 1})},
                               {"padding", AttrValue::ofString("EXPLICIT")},
                               {"pads", ints({1, 1, 2, 0})}},
                              {x}, opts);
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_EQ(r.checked, 490);
}

TEST(MaxPoolTest, KeepsBlockedInputLayout) {
  Dims dims{2, 13, 6, 7};
  Attrs attrs{{"kernel", ints({3, 3})},
              {"stride", ints({2, 2})},
              {"padding", AttrValue::ofString("SAME")}};
  HostTensor x = testing::randomTensor(dims, 3, -1.f, 1.f, true);
  std::vector<float> seed = testing::randomTensor({2, 13, 3, 4}, 4).data;
  auto tag8 = dnnl::memory::format_tag::nChw8c;
  auto plain =
      testing::runWithLayout("MaxPool", attrs, {x}, {false}, tag8, seed);
  auto blocked =
      testing::runWithLayout("MaxPool", attrs, {x}, {true}, tag8, seed);
  EXPECT_EQ(
      blocked.outputDesc,
      dnnl::memory::desc({2, 13, 3, 4}, dnnl::memory::data_type::f32, tag8));
  EXPECT_EQ(plain.outputDesc, plainDesc({2, 13, 3, 4}));
  auto [top, bottom] = reference::samePads(6, 3, 2);
  auto [left, right] = reference::samePads(7, 3, 2);
  EXPECT_EQ(
      blocked.output,
      reference::pool2d(x.data, 2, 13, 6, 7,
                        {3, 3, 2, 2, top, left, bottom, right}, false, false));
  EXPECT_EQ(blocked.output, plain.output);
  EXPECT_EQ(blocked.grads[0], plain.grads[0]);
  auto inference = testing::runWithLayout("MaxPool", attrs, {x}, {true}, tag8,
                                          seed, /*training=*/false);
  EXPECT_EQ(inference.output, plain.output);
}

TEST(MaxPoolTest, OneChannelRunsTheLoopWithoutReorders) {
  // Plain nchw with C = 1 runs oneDNN's simple_nchw (and nhwc a jit kernel
  // with one lane of 16 busy and a slow backward); with a gradient the op
  // runs its own loop on the plain bytes.
  HostTensor x = testing::randomTensor({4, 1, 12, 12}, 5, -1.f, 1.f, true);
  testing::OneOpPlan p("MaxPool", {{"kernel", ints({2, 2})}}, {x},
                       Mode::Training);
  auto grads = p.gradients({0});
  std::string impl;
  int reorders = -1;
  for (int n = 0; n < p.program->numNodes(); ++n)
    if (p.program->graph().nodes[n].op == "MaxPool") {
      impl = p.plan->nodeInfo(n).impl;
      reorders = p.plan->nodeInfo(n).reorders;
    }
  EXPECT_EQ(impl, "fwd=loop:one_channel, bwd=loop:one_channel");
  EXPECT_EQ(reorders, 0);
  EXPECT_EQ(p.outputDesc(), plainDesc({4, 1, 6, 6}));
  EXPECT_EQ(p.outputs()[0].data,
            reference::pool2d(x.data, 4, 1, 12, 12, {2, 2, 2, 2}, false, false));
  EXPECT_EQ(grads[0].size(), x.data.size());
  // Forward only: oneDNN's jit kernel on an nhwc view of the same bytes.
  testing::OneOpPlan q("MaxPool", {{"kernel", ints({2, 2})}}, {x},
                       Mode::Inference);
  q.plan->forward();
  for (int n = 0; n < q.program->numNodes(); ++n)
    if (q.program->graph().nodes[n].op == "MaxPool") impl = q.plan->nodeInfo(n).impl;
  EXPECT_EQ(impl.find("simple_nchw"), std::string::npos) << impl;
  EXPECT_EQ(impl.find("loop"), std::string::npos) << impl;
  EXPECT_EQ(q.outputDesc(), plainDesc({4, 1, 6, 6}));
  EXPECT_EQ(q.outputs()[0].data, p.outputs()[0].data);
}

TEST(MaxPoolTest, OneChannelGradientMatchesFiniteDifferences) {
  SampleCase opts;  // distinct values > one step apart: no ties cross
  for (const Attrs& attrs :
       {Attrs{{"kernel", ints({3, 2})},
              {"stride", ints({2, 1})},
              {"padding", AttrValue::ofString("EXPLICIT")},
              {"pads", ints({1, 1, 2, 0})}},
        Attrs{{"kernel", ints({3, 3})},
              {"stride", ints({1, 1})},
              {"padding", AttrValue::ofString("SAME")}}}) {
    HostTensor x = testing::randomTensor({3, 1, 7, 6}, 12, -4.f, 4.f, true);
    auto r = testing::gradCheck("MaxPool", attrs, {x}, opts);
    EXPECT_TRUE(r.ok) << r.report;
    EXPECT_EQ(r.checked, 126);
  }
}

TEST(MaxPoolTest, OneChannelTiesGoToTheFirstMaximum) {
  HostTensor x{{1, 1, 2, 4}, {3, 3, 2, 5, 3, 1, 5, 5}};
  auto r = testing::runWithLayout("MaxPool", {{"kernel", ints({2, 2})}}, {x},
                                  {false}, dnnl::memory::format_tag::nchw,
                                  {10.f, 20.f});
  EXPECT_EQ(r.output, (std::vector<float>{3, 5}));
  EXPECT_EQ(r.grads[0], (std::vector<float>{10, 0, 0, 20, 0, 0, 0, 0}));
}

TEST(MaxPoolTest, CountsOneFlopPerWindowElement) {
  HostTensor x = testing::randomTensor({2, 3, 6, 6}, 1);
  auto p = Program::build(
      testing::oneOpGraph("MaxPool", {{"kernel", ints({2, 3})}}, {x}, 1),
      ops::registry());
  EXPECT_EQ(p->flopsPerSample(0), 2 * 3 * 3 * 2 * (2 * 3));
}

template <class E>
void expectRejects(const Dims& dims, const Attrs& attrs,
                   const std::string& msg) {
  testing::expectRejects<E>("MaxPool", attrs, {dims}, msg);
}

TEST(MaxPoolTest, RejectsBadKernelAndStride) {
  Dims d{1, 2, 6, 6};
  expectRejects<AttrError>(d, {}, "missing required attribute 'kernel'");
  expectRejects<AttrError>(
      d, {{"kernel", ints({0, 2})}},
      "attribute 'kernel': values must be positive, found [0,2]");
  expectRejects<AttrError>(d, {{"kernel", ints({2, -1})}},
                           "values must be positive, found [2,-1]");
  expectRejects<AttrError>(
      d, {{"kernel", ints({2, 2, 2})}},
      "attribute 'kernel': must have 2 values [h, w], found 3");
  expectRejects<AttrError>(d,
                           {{"kernel", ints({2, 2})}, {"stride", ints({2, 0})}},
                           "attribute 'stride': values must be positive");
  expectRejects<AttrError>(
      d, {{"kernel", ints({2, 2})}, {"stride", ints({-1, 1})}},
      "attribute 'stride': values must be positive");
  expectRejects<AttrError>(
      d, {{"kernel", ints({2, 2})}, {"stride", ints({2})}},
      "attribute 'stride': must have 2 values [h, w], found 1");
}

TEST(MaxPoolTest, RejectsKernelLargerThanInput) {
  expectRejects<ShapeError>(
      {1, 2, 3, 6}, {{"kernel", ints({4, 2})}},
      "window of 4 along H is larger than the padded input (3)");
  expectRejects<ShapeError>(
      {1, 2, 6, 3},
      {{"kernel", ints({2, 5})},
       {"padding", AttrValue::ofString("EXPLICIT")},
       {"pads", ints({0, 1, 0, 0})}},
      "window of 5 along W is larger than the padded input (4)");
}

TEST(MaxPoolTest, RejectsBadPadding) {
  Dims d{1, 2, 6, 6};
  Attrs k{{"kernel", ints({3, 3})}};
  auto with = [&](Attrs extra) {
    Attrs a = k;
    a.insert(extra.begin(), extra.end());
    return a;
  };
  expectRejects<AttrError>(d, with({{"pads", ints({1, 1, 1, 1})}}),
                           "attribute 'pads': is only allowed with padding "
                           "EXPLICIT, found padding VALID");
  expectRejects<AttrError>(d,
                           with({{"padding", AttrValue::ofString("SAME")},
                                 {"pads", ints({1, 1, 1, 1})}}),
                           "found padding SAME");
  expectRejects<AttrError>(d,
                           with({{"padding", AttrValue::ofString("EXPLICIT")}}),
                           "attribute 'pads': must have 4 values");
  expectRejects<AttrError>(d,
                           with({{"padding", AttrValue::ofString("EXPLICIT")},
                                 {"pads", ints({1, 1})}}),
                           "must have 4 values [top, left, bottom, right] with "
                           "padding EXPLICIT, found 2 [1,1]");
  expectRejects<AttrError>(d,
                           with({{"padding", AttrValue::ofString("EXPLICIT")},
                                 {"pads", ints({1, -1, 0, 0})}}),
                           "attribute 'pads': must be >= 0, found [1,-1,0,0]");
  expectRejects<AttrError>(
      d,
      with({{"padding", AttrValue::ofString("EXPLICIT")},
            {"pads", ints({0, 0, 3, 0})}}),
      "must be smaller than the kernel [3,3], found [0,0,3,0]");
  expectRejects<AttrError>(d, with({{"padding", AttrValue::ofString("same")}}),
                           "attribute 'padding' must be one of");
}

TEST(MaxPoolTest, RejectsNon4DInput) {
  expectRejects<ShapeError>(
      {2, 6, 6}, {{"kernel", ints({2, 2})}},
      "input 'src' [2,6,6] must have rank 4, found rank 3");
}

}  // namespace
}  // namespace tapeflow
