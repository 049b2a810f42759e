// tests/ops/linear_test.cpp - Linear against a naive loop (rank-2 and rank-4
// src), gradients, FLOPs, fusion with Relu, and shape validation.
#include <gtest/gtest.h>

#include "core/program.h"
#include "ops/registry.h"
#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_linear.h"
#include "tests/support/reference_ops.h"

namespace tapeflow {
namespace {

using testing::expectClose;
using testing::HostTensor;


struct Case {
  Dims src, weights;
  bool bias;
};

TEST(LinearTest, ForwardMatchesReference) {
  for (const Case& c : {Case{{2, 13}, {7, 13}, true},
                        Case{{3, 2, 3, 3}, {5, 18}, false},
                        Case{{5, 16}, {9, 16}, true},
                        Case{{2, 3, 2, 2}, {4, 12}, true}}) {
    SCOPED_TRACE(dimsStr(c.src) + " x " + dimsStr(c.weights));
    std::vector<HostTensor> in = {testing::randomTensor(c.src, 1),
                                  testing::randomTensor(c.weights, 2)};
    if (c.bias) in.push_back(testing::randomTensor({c.weights[0]}, 3));
    auto y = testing::runOp("Linear", {}, in);
    ASSERT_EQ(y.size(), 1u);
    EXPECT_EQ(y[0].dims, (Dims{c.src[0], c.weights[0]}));
    auto want = reference::linear(in[0].data, c.src[0], c.weights[1],
                                  in[1].data, c.weights[0],
                                  c.bias ? in[2].data : std::vector<float>{});
    expectClose(y[0].data, want, 1e-4);
  }
}

TEST(LinearTest, ForwardGolden) {
  // [1,2] . [[1,0],[3,-1]]^T + [0.5,-1.5] = [1.5, -0.5]
  HostTensor x{{1, 2}, {1.f, 2.f}};
  HostTensor w{{2, 2}, {1.f, 0.f, 3.f, -1.f}};
  HostTensor b{{2}, {0.5f, -1.5f}};
  auto y = testing::runOp("Linear", {}, {x, w, b});
  EXPECT_EQ(y[0].data, (std::vector<float>{1.5f, -0.5f}));
}

TEST(LinearTest, GradientMatchesFiniteDifferences) {
  SampleCase opts;
  for (const Case& c : {Case{{4, 9}, {6, 9}, true},
                        Case{{2, 3, 2, 2}, {4, 12}, true},
                        Case{{3, 11}, {2, 11}, false}}) {
    SCOPED_TRACE(dimsStr(c.src) + " x " + dimsStr(c.weights));
    std::vector<HostTensor> in = {testing::randomTensor(c.src, 4),
                                  testing::randomTensor(c.weights, 5)};
    if (c.bias) in.push_back(testing::randomTensor({c.weights[0]}, 6));
    auto r = testing::gradCheck("Linear", {}, in, opts);
    EXPECT_TRUE(r.ok) << r.report;
    EXPECT_EQ(r.checked, int(numel(c.src) + numel(c.weights) +
                             (c.bias ? c.weights[0] : 0)));
  }
}

TEST(LinearTest, CountsFlops) {
  auto program = Program::build(
      testing::oneOpGraph("Linear", {},
                          {testing::randomTensor({3, 2, 3, 3}, 1),
                           testing::randomTensor({5, 18}, 2),
                           testing::randomTensor({5}, 3)},
                          1),
      ops::registry());
  EXPECT_EQ(program->flopsPerSample(0), 2 * 3 * 5 * 18 + 3 * 5);
}

/// Params x, w, b (from `in`) and `nodes` after them; training, with
/// `target`'s gradient seeded.
testing::GraphPlan planOf(const std::vector<HostTensor>& in,
                          std::vector<Node> nodes, const std::string& target,
                          bool fuse = true) {
  Graph g;
  g.name = "linear";
  g.file = "<test>";
  g.params = {testing::paramOf("x", in[0]), testing::paramOf("w", in[1]),
              testing::paramOf("b", in[2])};
  g.nodes = std::move(nodes);
  g.outputs = {target};
  PlanOptions opts;
  opts.mode = Mode::Training;
  opts.gradTargets = {target};
  opts.fuse = fuse;
  return testing::GraphPlan(g, opts);
}

// Linear -> Relu: the Relu folds into the inner product as a post-op; the
// result and every gradient match the unfused plan.
testing::GraphPlan fcRelu(const std::vector<HostTensor>& in, bool fuse) {
  return planOf(in,
                {testing::nodeOf("fc", "Linear", {"x", "w", "b"}, "h"),
                 testing::nodeOf("act", "Relu", {"h"}, "y")},
                "y", fuse);
}

TEST(LinearTest, FusedReluMatchesUnfused) {
  std::vector<HostTensor> in = {testing::randomTensor({6, 13}, 11),
                                testing::randomTensor({7, 13}, 12),
                                testing::randomTensor({7}, 13)};
  HostTensor seed = testing::randomTensor({6, 7}, 14);
  testing::GraphPlan fused = fcRelu(in, true), plain = fcRelu(in, false);
  const int reluNode = 1;
  ASSERT_EQ(fused.program->graph().nodes[reluNode].op, "Relu");
  EXPECT_TRUE(fused.plan->fused(reluNode));
  EXPECT_FALSE(plain.plan->fused(reluNode));

  auto want = reference::relu(
      reference::linear(in[0].data, 6, 13, in[1].data, 7, in[2].data));
  int negatives = 0;
  for (float v : want) negatives += v == 0.f;
  ASSERT_GT(negatives, 0) << "the relu must clip something";
  for (testing::GraphPlan* f : {&fused, &plain}) {
    f->plan->forward();
    expectClose(f->plan->readValue("y"), want, 1e-4);
    f->plan->seedGrad("y", seed.data.data());
    f->plan->backward();
  }
  for (const char* p : {"w", "b", "x"}) {
    SCOPED_TRACE(p);
    auto a = fused.plan->readGrad(p), b = plain.plan->readGrad(p);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5) << i;
  }
}

// x -> [ToLayout nChw8c, as pooling hands it over] -> Linear(w, b) -> y,
// or x -> Linear directly.
testing::GraphPlan blockedFc(const std::vector<HostTensor>& in, bool blocked) {
  std::vector<Node> nodes;
  if (blocked)
    nodes.push_back(testing::nodeOf("block", "ToLayout", {"x"}, "xb"));
  nodes.push_back(
      testing::nodeOf("fc", "Linear", {blocked ? "xb" : "x", "w", "b"}, "y"));
  return planOf(in, std::move(nodes), "y");
}

TEST(LinearTest, AcceptsBlockedSrc) {
  for (int64_t c : {3, 16}) {  // 3: nChw8c pads the channels
    SCOPED_TRACE("channels " + std::to_string(c));
    std::vector<HostTensor> in = {testing::randomTensor({2, c, 3, 3}, 21),
                                  testing::randomTensor({5, c * 9}, 22),
                                  testing::randomTensor({5}, 23)};
    HostTensor seed = testing::randomTensor({2, 5}, 24);
    testing::GraphPlan blocked = blockedFc(in, true);
    testing::GraphPlan plain = blockedFc(in, false);
    auto want = reference::linear(in[0].data, 2, c * 9, in[1].data, 5, in[2].data);
    for (testing::GraphPlan* f : {&blocked, &plain}) {
      f->plan->forward();
      expectClose(f->plan->readValue("y"), want, 1e-4);
      f->plan->seedGrad("y", seed.data.data());
      f->plan->backward();
    }
    // plain weights have only ref:any against nChw8c: the src is converted
    EXPECT_GT(blocked.plan->nodeInfo(1).reorders, 0);
    EXPECT_EQ(plain.plan->nodeInfo(0).reorders, 0);
    for (const char* p : {"x", "w", "b"}) {
      SCOPED_TRACE(p);
      expectClose(blocked.plan->readGrad(p), plain.plan->readGrad(p), 1e-5);
    }
  }
}

TEST(LinearTest, RejectsWeightsWithWrongInputFeatures) {
  testing::expectRejects<ShapeError>(
      "Linear", {}, {{1, 16, 5, 5}, {10, 256}},
      "input 'weights' has 256 input features, expected 400 "
      "(src [1,16,5,5] flattens to 400)");
  testing::expectRejects<ShapeError>(
      "Linear", {}, {{2, 13}, {7, 12}},
      "input 'weights' has 12 input features, expected 13 "
      "(src [2,13] has 13 features)");
}

TEST(LinearTest, RejectsBiasOfWrongSize) {
  testing::expectRejects<ShapeError>(
      "Linear", {}, {{2, 13}, {7, 13}, {6}},
      "input 'bias' has 6 elements, expected 7 (weights [7,13] "
      "has 7 output features)");
  testing::expectRejects<ShapeError>(
      "Linear", {}, {{2, 13}, {7, 13}, {1, 7}},
      "input 'bias' [1,7] must have rank 1, found rank 2");
}

TEST(LinearTest, RejectsBadRanks) {
  testing::expectRejects<ShapeError>(
      "Linear", {}, {{2, 3, 4}, {5, 12}},
      "input 'src' [2,3,4] must have rank 2 or 4, found rank 3");
  testing::expectRejects<ShapeError>(
      "Linear", {}, {{2, 12}, {5, 3, 4}},
      "input 'weights' [5,3,4] must have rank 2, found rank 3");
}

}  // namespace
}  // namespace tapeflow
