// tests/ops/linear_test.cpp - Linear against a naive loop (rank-2 and rank-4
// src), gradients, FLOPs, fusion with Relu, and shape validation.
#include <gtest/gtest.h>

#include <cmath>
#include <optional>

#include "core/param_store.h"
#include "core/plan.h"
#include "core/program.h"
#include "ops/registry.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_linear.h"
#include "tests/support/reference_ops.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

void expectNear(const std::vector<float>& got, const std::vector<float>& want,
                double rel) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(got[i], want[i], rel * std::max(1.0, std::fabs(double(want[i]))))
        << "at " << i;
}

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
    expectNear(y[0].data, want, 1e-4);
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

// Linear -> Relu: the Relu folds into the inner product as a post-op; the
// result and every gradient match the unfused plan.
struct FcRelu {
  std::shared_ptr<const Program> program;
  std::unique_ptr<ParamStore> store;
  std::unique_ptr<Plan> plan;

  FcRelu(const std::vector<HostTensor>& in, bool fuse) {
    Graph g;
    g.name = "fc_relu";
    g.file = "<test>";
    const char* names[] = {"x", "w", "b"};
    for (size_t i = 0; i < in.size(); ++i) {
      ParamDef p;
      p.name = names[i];
      p.dims = in[i].dims;
      p.data = in[i].data;
      g.params.push_back(p);
    }
    Node fc;
    fc.name = "fc";
    fc.op = "Linear";
    fc.inputs = {"x", "w", "b"};
    fc.outputs = {"h"};
    Node act;
    act.name = "act";
    act.op = "Relu";
    act.inputs = {"h"};
    act.outputs = {"y"};
    g.nodes = {fc, act};
    g.outputs = {"y"};
    program = Program::build(g, ops::registry());
    store = std::make_unique<ParamStore>(program);
    store->initialize(0);
    PlanOptions opts;
    opts.mode = Mode::Training;
    opts.gradTargets = {"y"};
    opts.fuse = fuse;
    plan = std::make_unique<Plan>(program, *store, opts);
  }
};

TEST(LinearTest, FusedReluMatchesUnfused) {
  std::vector<HostTensor> in = {testing::randomTensor({6, 13}, 11),
                                testing::randomTensor({7, 13}, 12),
                                testing::randomTensor({7}, 13)};
  HostTensor seed = testing::randomTensor({6, 7}, 14);
  FcRelu fused(in, true), plain(in, false);
  const int reluNode = 1;
  ASSERT_EQ(fused.program->graph().nodes[reluNode].op, "Relu");
  EXPECT_TRUE(fused.plan->fused(reluNode));
  EXPECT_FALSE(plain.plan->fused(reluNode));

  auto want = reference::relu(
      reference::linear(in[0].data, 6, 13, in[1].data, 7, in[2].data));
  int negatives = 0;
  for (float v : want) negatives += v == 0.f;
  ASSERT_GT(negatives, 0) << "the relu must clip something";
  for (FcRelu* f : {&fused, &plain}) {
    f->plan->forward();
    expectNear(f->plan->readValue("y"), want, 1e-4);
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

// A test-only identity that hands its consumer nChw8c data (as pooling
// does), to exercise Linear's blocked-src path.
struct ToBlockedState {
  std::optional<dnnl::reorder> fwd, bwd;
};

const OpDef& toBlockedOp() {
  static const OpDef def = [] {
    OpDef d("ToBlocked");
    d.input("src").output("dst").doc("identity with an nChw8c output");
    d.shapes([](ShapeContext& ctx) { ctx.setOutput(0, ctx.inputDims(0)); });
    d.prepare([](PrepareContext& ctx) {
      dnnl::memory::dims dims(ctx.inputDims(0).begin(), ctx.inputDims(0).end());
      dnnl::memory::desc blocked(dims, dnnl::memory::data_type::f32,
                                 dnnl::memory::format_tag::nChw8c);
      ctx.setOutputDesc(0, blocked);
      auto& st = ctx.makeState<ToBlockedState>();
      st.fwd = dnnl::reorder(dnnl::reorder::primitive_desc(
          ctx.engine(), ctx.inputDesc(0), ctx.engine(), blocked));
      st.bwd = dnnl::reorder(dnnl::reorder::primitive_desc(
          ctx.engine(), blocked, ctx.engine(), ctx.inputDesc(0)));
    });
    d.forward([](ExecContext& ctx) {
      ctx.state<ToBlockedState>().fwd->execute(
          ctx.stream(), ctx.input(0), ctx.output(0));
    });
    d.backward([](GradContext& ctx) {
      if (ctx.needsGrad(0))
        ctx.state<ToBlockedState>().bwd->execute(
            ctx.stream(), ctx.gradOutput(0), ctx.gradInput(0));
    });
    return d;
  }();
  return def;
}

// x -> [ToBlocked] -> Linear(w, b) -> y, or x -> Linear directly.
struct BlockedFc {
  std::shared_ptr<const Program> program;
  std::unique_ptr<ParamStore> store;
  std::unique_ptr<Plan> plan;

  BlockedFc(const std::vector<HostTensor>& in, bool blocked) {
    static const OpRegistry registry = [] {
      OpRegistry r;
      r.add(*ops::registry().find("Linear"));
      r.add(toBlockedOp());
      return r;
    }();
    Graph g;
    g.name = "blocked_fc";
    g.file = "<test>";
    const char* names[] = {"x", "w", "b"};
    for (size_t i = 0; i < in.size(); ++i) {
      ParamDef p;
      p.name = names[i];
      p.dims = in[i].dims;
      p.data = in[i].data;
      g.params.push_back(p);
    }
    if (blocked) {
      Node nb;
      nb.name = "block";
      nb.op = "ToBlocked";
      nb.inputs = {"x"};
      nb.outputs = {"xb"};
      g.nodes.push_back(nb);
    }
    Node fc;
    fc.name = "fc";
    fc.op = "Linear";
    fc.inputs = {blocked ? "xb" : "x", "w", "b"};
    fc.outputs = {"y"};
    g.nodes.push_back(fc);
    g.outputs = {"y"};
    program = Program::build(g, registry);
    store = std::make_unique<ParamStore>(program);
    store->initialize(0);
    PlanOptions opts;
    opts.mode = Mode::Training;
    opts.gradTargets = {"y"};
    plan = std::make_unique<Plan>(program, *store, opts);
  }
};

TEST(LinearTest, AcceptsBlockedSrc) {
  for (int64_t c : {3, 16}) {  // 3: nChw8c pads the channels
    SCOPED_TRACE("channels " + std::to_string(c));
    std::vector<HostTensor> in = {testing::randomTensor({2, c, 3, 3}, 21),
                                  testing::randomTensor({5, c * 9}, 22),
                                  testing::randomTensor({5}, 23)};
    HostTensor seed = testing::randomTensor({2, 5}, 24);
    BlockedFc blocked(in, true), plain(in, false);
    auto want = reference::linear(in[0].data, 2, c * 9, in[1].data, 5, in[2].data);
    for (BlockedFc* f : {&blocked, &plain}) {
      f->plan->forward();
      expectNear(f->plan->readValue("y"), want, 1e-4);
      f->plan->seedGrad("y", seed.data.data());
      f->plan->backward();
    }
    // plain weights have only ref:any against nChw8c: the src is converted
    EXPECT_GT(blocked.plan->stats(1).reorders, 0);
    EXPECT_EQ(plain.plan->stats(0).reorders, 0);
    for (const char* p : {"x", "w", "b"}) {
      SCOPED_TRACE(p);
      expectNear(blocked.plan->readGrad(p), plain.plan->readGrad(p), 1e-5);
    }
  }
}

template <class E>
std::string errorOf(const std::vector<HostTensor>& in) {
  try {
    testing::runOp("Linear", {}, in);
  } catch (const E& e) {
    return e.what();
  }
  return "<no error of the expected type>";
}

bool has(const std::string& s, const std::string& sub) {
  return s.find(sub) != std::string::npos;
}

TEST(LinearTest, RejectsWeightsWithWrongInputFeatures) {
  std::string e = errorOf<ShapeError>({testing::randomTensor({1, 16, 5, 5}, 1),
                                       testing::randomTensor({10, 256}, 2)});
  EXPECT_TRUE(has(e, "input 'weights' has 256 input features, expected 400 "
                     "(src [1,16,5,5] flattens to 400)")) << e;
  e = errorOf<ShapeError>({testing::randomTensor({2, 13}, 1),
                           testing::randomTensor({7, 12}, 2)});
  EXPECT_TRUE(has(e, "input 'weights' has 12 input features, expected 13 "
                     "(src [2,13] has 13 features)")) << e;
}

TEST(LinearTest, RejectsBiasOfWrongSize) {
  std::string e = errorOf<ShapeError>({testing::randomTensor({2, 13}, 1),
                                       testing::randomTensor({7, 13}, 2),
                                       testing::randomTensor({6}, 3)});
  EXPECT_TRUE(has(e, "input 'bias' has 6 elements, expected 7 (weights [7,13] "
                     "has 7 output features)")) << e;
  e = errorOf<ShapeError>({testing::randomTensor({2, 13}, 1),
                           testing::randomTensor({7, 13}, 2),
                           testing::randomTensor({1, 7}, 3)});
  EXPECT_TRUE(has(e, "input 'bias' [1,7] must have rank 1, found rank 2")) << e;
}

TEST(LinearTest, RejectsBadRanks) {
  std::string e = errorOf<ShapeError>({testing::randomTensor({2, 3, 4}, 1),
                                       testing::randomTensor({5, 12}, 2)});
  EXPECT_TRUE(has(e, "input 'src' [2,3,4] must have rank 2 or 4, found rank 3"))
      << e;
  e = errorOf<ShapeError>({testing::randomTensor({2, 12}, 1),
                           testing::randomTensor({5, 3, 4}, 2)});
  EXPECT_TRUE(has(e, "input 'weights' [5,3,4] must have rank 2, found rank 3"))
      << e;
}

}  // namespace
}  // namespace tapeflow
