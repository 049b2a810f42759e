// tests/core/chain_fusion_test.cpp - chains of elementwise nodes run as one
// fused node (core/chain_fusion.h, core/fused_chain.h): the same outputs
// and gradients as the unfused plan, on LeNet-5 and on synthetic chains of
// every supported op; the chains that must not fuse stay unfused.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <string>

#include "core/dnnl_context.h"
#include "core/param_store.h"
#include "core/plan.h"
#include "frontends/pbtxt/pbtxt_loader.h"
#include "ops/registry.h"
#include "tests/support/expect.h"
#include "tests/support/tree_paths.h"

namespace tapeflow {
namespace {

std::shared_ptr<const Program> parse(const std::string& text) {
  return Program::build(parseGraphText(text, "<test>"), ops::registry());
}

std::shared_ptr<const Program> model(const std::string& name) {
  return Program::build(loadGraphFile(tapeflow::paths::sourceDir() + "/models/" + name),
                        ops::registry());
}

/// One plan with its own parameters (same seed: same values in every run).
struct PlanRun {
  std::unique_ptr<ParamStore> store;
  std::unique_ptr<Plan> plan;
  std::map<std::string, std::vector<float>> values;  ///< outputs and grads

  PlanRun(std::shared_ptr<const Program> p, PlanOptions o,
      const std::vector<std::string>& read, const std::string& seeded = "") {
    store = std::make_unique<ParamStore>(p);
    store->initialize(5);
    plan = std::make_unique<Plan>(p, *store, o);
    Rng rng(9);
    for (const InputDef& in : p->graph().inputs) {
      dnnl::memory& m = plan->inputMemory(in.name);
      const size_t n = m.get_desc().get_size() / 4;
      for (size_t i = 0; i < n; ++i) {
        if (in.dtype == DType::I32)
          hostPtr<int32_t>(m)[i] = int32_t(rng.next() % 10);
        else
          hostPtr(m)[i] = 2.f * rng.uniform() - 1.f;
      }
    }
    plan->forward();
    if (!seeded.empty()) {
      std::vector<float> g(size_t(numel(plan->dims(p->findValue(seeded)))));
      for (float& x : g) x = 2.f * rng.uniform() - 1.f;
      plan->seedGrad(seeded, g.data());
    }
    plan->backward();
    for (const std::string& name : read) values[name] = plan->readValue(name);
    for (int v = 0; v < int(p->values().size()); ++v)
      if (p->value(v).kind != ValueKind::NodeOutput && plan->valueNeedsGrad(v))
        values["d " + p->value(v).name] = plan->readGrad(p->value(v).name);
  }
};

/// |a - b| <= tol |b| (2-norms) for each output, gradTol for gradients.
// NOTE: oneDNN's eltwise kernels and the fused loop each compute exp and
// tanh within a few ulp of the exact value, and a gradient that passes
// through conv layers sums many such terms with cancellation: c1.b of
// LeNet-5 differs by 1.7e-6 of its norm, and by as much with std::exp and
// std::tanh in the loop (tried), so gradients get 4e-6. Forward values
// agree within 1e-6.
constexpr double kGradTol = 4e-6;

void expectClose(const PlanRun& fused, const PlanRun& plain, double tol,
                 double gradTol = kGradTol) {
  testing::expectNormClose(fused.values, plain.values, tol, gradTol);
}

std::vector<std::string> chainNames(const Plan& plan) {
  std::vector<std::string> out;
  for (const FusedChain& c : plan.chains()) out.push_back(c.names(plan.program()));
  return out;
}

PlanOptions training(int64_t batch, bool fuse) {
  PlanOptions o;
  o.batch = batch;
  o.fuse = fuse;
  o.shareBuffers = false;  // the tests read values no chain holds after the step
  return o;
}

TEST(ChainFusionTest, LeNet5MatchesUnfused) {
  auto p = model("lenet5.pbtxt");
  PlanRun fused(p, training(16, true), {"loss", "logits"});
  PlanRun plain(p, training(16, false), {"loss", "logits"});
  EXPECT_EQ(chainNames(*fused.plan),
            (std::vector<std::string>{"s2.scale+s2.shift+s2.sigmoid",
                                      "s4.scale+s4.shift+s4.sigmoid"}));
  EXPECT_TRUE(plain.plan->chains().empty());
  expectClose(fused, plain, 1e-6);
  // c3 (6 input channels) runs on nhwc: the chain before it writes nhwc.
  EXPECT_EQ(fused.plan->desc(p->findValue("s2")),
            dnnl::memory::desc({16, 6, 14, 14}, dnnl::memory::data_type::f32,
                               dnnl::memory::format_tag::nhwc));
}

// Every supported op, in three chains: the data [N,5,3,4] (5 channels: not
// a multiple of 8) with per-channel ([1,5,1,1], [5,1,1]) and scalar
// operands on either side; a [N,300] tensor (channels along the rows, more
// than one tile); and an 8-step chain, the longest.
const char* kEveryOp = R"(
format_version: 1
name: "every_op"
input { name: "x" dtype: F32 shape: [-1, 5, 3, 4] }
input { name: "v" dtype: F32 shape: [-1, 300] }
param { name: "c1" shape: [1, 5, 1, 1] init { kind: "uniform" low: 0.5 high: 1.5 } }
param { name: "c2" shape: [5, 1, 1] init { kind: "uniform" low: -0.5 high: 0.5 } }
param { name: "c3" shape: [1] init { kind: "uniform" low: 0.1 high: 0.3 } }
param { name: "c4" shape: [1, 5, 1, 1] init { kind: "uniform" low: 1 high: 2 } }
param { name: "c5" shape: [1, 5, 1, 1] init { kind: "uniform" low: 3 high: 4 } }
param { name: "c6" shape: [1] init { kind: "uniform" low: 0.5 high: 1 } }
param { name: "c7" shape: [5, 1, 1] init { kind: "uniform" low: 2 high: 3 } }
param { name: "c8" shape: [1, 5, 1, 1] init { kind: "uniform" low: -1 high: 1 } }
param { name: "w" shape: [300] init { kind: "uniform" low: -2 high: 2 } }
param { name: "k" shape: [1] constant: true data: [0.25] }
node { name: "mul" op: "Mul" input: ["x", "c1"] output: "a1" }
node { name: "add" op: "Add" input: ["a1", "c2"] output: "a2" }
node { name: "sub" op: "Sub" input: ["a2", "c3"] output: "a3" }
node { name: "div" op: "Div" input: ["a3", "c4"] output: "a4" }
node { name: "relu" op: "LeakyRelu" input: "a4" output: "a5" attr { name: "alpha" f: 0.1 } }
node { name: "elu" op: "Elu" input: "a5" output: "a6" attr { name: "alpha" f: 0.7 } }
node { name: "sig" op: "Sigmoid" input: "a6" output: "a7" }
node { name: "tanh" op: "Tanh" input: "a7" output: "a8" }
node { name: "st" op: "ScaledTanh" input: "a8" output: "b1" }
node { name: "rsub" op: "Sub" input: ["c5", "b1"] output: "b2" }
node { name: "radd" op: "Add" input: ["c6", "b2"] output: "b3" }
node { name: "rdiv" op: "Div" input: ["c7", "b3"] output: "b4" }
node { name: "rmul" op: "Mul" input: ["c8", "b4"] output: "b5" }
node { name: "r" op: "Relu" input: "b5" output: "b6" }
node { name: "kmul" op: "Mul" input: ["b6", "k"] output: "y" }
node { name: "vmul" op: "Mul" input: ["v", "w"] output: "v1" }
node { name: "vtanh" op: "Tanh" input: "v1" output: "v2" }
node { name: "vrelu" op: "Relu" input: "v2" output: "z" }
output: ["y", "z"]
)";

PlanRun everyOp(bool fuse, const std::string& target) {
  PlanOptions o = training(6, fuse);
  o.gradTargets = {target};
  o.inputGrads = true;
  return PlanRun(parse(kEveryOp), o, {"y", "z"}, target);
}

TEST(ChainFusionTest, EveryOpMatchesUnfused) {
  for (const char* target : {"y", "z"}) {
    PlanRun fused = everyOp(true, target), plain = everyOp(false, target);
    EXPECT_EQ(chainNames(*fused.plan),
              (std::vector<std::string>{
                  "mul+add+sub+div+relu+elu+sig+tanh", "st+rsub+radd+rdiv+rmul+r+kmul",
                  "vmul+vtanh+vrelu"}));
    expectClose(fused, plain, 1e-6);
  }
}

TEST(ChainFusionTest, FusedRunsAreBitIdentical) {
  PlanRun a = everyOp(true, "y"), b = everyOp(true, "y");
  for (const auto& [name, values] : a.values) EXPECT_EQ(values, b.values.at(name)) << name;
}

// x -> Mul -> h -> Sigmoid -> y: fuses unless h must be kept.
std::string pinnedGraph(const std::string& extra) {
  return R"(
format_version: 1
name: "pinned"
input { name: "x" dtype: F32 shape: [-1, 3, 2, 2] }
param { name: "c" shape: [1, 3, 1, 1] init { kind: "uniform" low: 0.5 high: 1.5 } }
node { name: "mul" op: "Mul" input: ["x", "c"] output: "h" }
node { name: "sig" op: "Sigmoid" input: "h" output: "y" }
)" + extra;
}

void expectUnfused(const std::string& text, std::vector<std::string> read,
                   std::vector<std::string> requested = {}) {
  auto p = parse(text);
  PlanOptions o = training(4, true);
  o.gradTargets = {"y"};
  o.outputs = requested;
  PlanRun fused(p, o, read, "y");
  o.fuse = false;
  PlanRun plain(p, o, read, "y");
  EXPECT_TRUE(fused.plan->chains().empty()) << chainNames(*fused.plan).at(0);
  for (int n : fused.plan->order()) EXPECT_EQ(fused.plan->chainOf(n), nullptr);
  expectClose(fused, plain, 1e-6);
}

TEST(ChainFusionTest, FusesAnUnpinnedChain) {
  PlanOptions o = training(4, true);
  o.gradTargets = {"y"};
  PlanRun run(parse(pinnedGraph("output: \"y\"\n")), o, {"y"}, "y");
  EXPECT_EQ(chainNames(*run.plan), std::vector<std::string>{"mul+sig"});
  // The value inside the chain is never materialized.
  EXPECT_THROW(run.plan->readValue("h"), Error);
}

TEST(ChainFusionTest, IntermediateUsedTwiceStaysUnfused) {
  expectUnfused(pinnedGraph("node { name: \"t\" op: \"Tanh\" input: \"h\" output: \"u\" }\n"
                            "output: [\"y\", \"u\"]\n"),
                {"y", "h", "u"});
}

TEST(ChainFusionTest, LoggedOutputStaysUnfused) {
  expectUnfused(pinnedGraph("output: [\"y\", \"h\"]\n"), {"y", "h"});
}

TEST(ChainFusionTest, PredictionStaysUnfused) {
  expectUnfused(pinnedGraph("output: \"y\"\nprediction: \"h\"\n"), {"y", "h"});
}

TEST(ChainFusionTest, RequestedOutputStaysUnfused) {
  expectUnfused(pinnedGraph("output: \"y\"\n"), {"y", "h"}, {"y", "h"});
}

// A full-size second operand (a residual sum) is not a broadcast one.
TEST(ChainFusionTest, FullSizeOperandStaysUnfused) {
  expectUnfused(R"(
format_version: 1
name: "residual"
input { name: "x" dtype: F32 shape: [-1, 3, 2, 2] }
param { name: "c" shape: [3, 2, 2] init { kind: "uniform" low: 0.5 high: 1.5 } }
node { name: "mul" op: "Mul" input: ["x", "c"] output: "h" }
node { name: "sig" op: "Sigmoid" input: "h" output: "y" }
output: "y"
)",
                {"y"});
}

TEST(ChainFusionTest, EnvironmentTurnsFusionOff) {
  auto p = model("lenet5.pbtxt");
  ParamStore store(p);
  store.initialize(1);
  ::setenv("TAPEFLOW_NO_FUSE", "1", 1);
  Plan off(p, store, training(2, true));
  ::unsetenv("TAPEFLOW_NO_FUSE");
  Plan on(p, store, training(2, true));
  EXPECT_TRUE(off.chains().empty());
  EXPECT_FALSE(off.options().fuse);
  EXPECT_EQ(on.chains().size(), 2u);
}

// The loop walks a channel-blocked layout (nChw16c, 5 of 16 lanes used) and
// channels last (nhwc, one block of the 5 channels) as it walks the plain
// one: same values, zero padding. nhwcOut: y and dy are nhwc.
void expectLayoutMatchesPlain(dnnl::memory::format_tag layout, int64_t lanes,
                              bool nhwcOut = false) {
  using tag = dnnl::memory::format_tag;
  SCOPED_TRACE("format_tag " + std::to_string(int(layout)) +
               (nhwcOut ? " to nhwc" : ""));
  const dnnl::memory::dims dims = {3, 5, 2, 3};
  dnnl::memory::desc plainMd(dims, dnnl::memory::data_type::f32, tag::nchw);
  dnnl::memory::desc blockedMd(dims, dnnl::memory::data_type::f32, layout);
  dnnl::memory::desc outMd(dims, dnnl::memory::data_type::f32,
                           nhwcOut ? tag::nhwc : layout);
  std::optional<ChainLayout> pl = chainLayoutOf(plainMd), bl = chainLayoutOf(blockedMd);
  ASSERT_TRUE(pl && bl);
  EXPECT_EQ(bl->lanes, lanes);
  EXPECT_EQ(bl->blocks, lanes == 1 ? 5 : 1);
  EXPECT_EQ(pl->blocks, 5);
  std::vector<ChainStep> steps(3);
  steps[0].op.kind = PointwiseKind::Mul;
  steps[1].op.kind = PointwiseKind::Add;
  steps[2].op.kind = PointwiseKind::Sigmoid;
  ChainKernel plain(steps, *pl), blocked(steps, *bl, nhwcOut);
  Rng rng(4);
  dnnl::memory x(plainMd, cpuEngine()), dy(plainMd, cpuEngine());
  for (int64_t i = 0; i < 90; ++i) {
    hostPtr(x)[i] = 2.f * rng.uniform() - 1.f;
    hostPtr(dy)[i] = 2.f * rng.uniform() - 1.f;
  }
  dnnl::memory xb(blockedMd, cpuEngine()), dyb(outMd, cpuEngine());
  dnnl::reorder(x, xb).execute(cpuStream(), x, xb);
  dnnl::reorder(dy, dyb).execute(cpuStream(), dy, dyb);
  cpuStream().wait();
  std::vector<float> c = {0.5f, 1.f, 1.5f, -1.f, 2.f}, b = {0.1f, -0.2f, 0.3f, 0.f, 1.f};
  std::vector<const float*> ops = {c.data(), b.data(), nullptr};
  dnnl::memory y(plainMd, cpuEngine()), dx(plainMd, cpuEngine());
  dnnl::memory yb(outMd, cpuEngine()), dxb(blockedMd, cpuEngine());
  std::vector<float> dc(5), db(5), dcb(5), dbb(5);
  plain.forward(hostPtr(x), ops, hostPtr(y));
  blocked.forward(hostPtr(xb), ops, hostPtr(yb));
  plain.backward(hostPtr(x), hostPtr(y), hostPtr(dy), ops, hostPtr(dx),
                 {dc.data(), db.data(), nullptr}, 0);
  blocked.backward(hostPtr(xb), hostPtr(yb), hostPtr(dyb), ops, hostPtr(dxb),
                   {dcb.data(), dbb.data(), nullptr}, 0);
  auto toPlain = [&](dnnl::memory& m) {
    dnnl::memory out(plainMd, cpuEngine());
    dnnl::reorder(m, out).execute(cpuStream(), m, out);
    cpuStream().wait();
    return std::vector<float>(hostPtr(out), hostPtr(out) + 90);
  };
  EXPECT_EQ(toPlain(yb), std::vector<float>(hostPtr(y), hostPtr(y) + 90));
  EXPECT_EQ(toPlain(dxb), std::vector<float>(hostPtr(dx), hostPtr(dx) + 90));
  for (int k = 0; k < 5; ++k) {
    EXPECT_NEAR(dcb[k], dc[k], 1e-6 * (1 + std::fabs(dc[k])));
    EXPECT_NEAR(dbb[k], db[k], 1e-6 * (1 + std::fabs(db[k])));
  }
  // Padding lanes 5..15 of the one block stay zero.
  for (int64_t i = 0; i < 3 * 6 && lanes == 16; ++i)
    for (int64_t l = 5; l < 16; ++l) {
      if (!nhwcOut) {
        EXPECT_EQ(hostPtr(yb)[i * 16 + l], 0.f);
      }
      EXPECT_EQ(hostPtr(dxb)[i * 16 + l], 0.f);
    }
}

TEST(ChainFusionTest, BlockedLayoutMatchesPlain) {
  expectLayoutMatchesPlain(dnnl::memory::format_tag::nChw16c, 16);
}

TEST(ChainFusionTest, ChannelsLastLayoutMatchesPlain) {
  expectLayoutMatchesPlain(dnnl::memory::format_tag::nhwc, 5);
  // Written as nhwc from a blocked or plain walk.
  expectLayoutMatchesPlain(dnnl::memory::format_tag::nChw16c, 16, true);
  expectLayoutMatchesPlain(dnnl::memory::format_tag::nchw, 1, true);
  // Channels first with the batch last, and channels last with more
  // channels than a tile holds, are walked on a plain copy instead.
  auto f32 = dnnl::memory::data_type::f32;
  EXPECT_FALSE(chainLayoutOf({{3, 5, 2, 3}, f32, dnnl::memory::format_tag::chwn}));
  EXPECT_FALSE(chainLayoutOf({{2, 300, 2, 2}, f32, dnnl::memory::format_tag::nhwc}));
  EXPECT_TRUE(chainLayoutOf({{2, 256, 2, 2}, f32, dnnl::memory::format_tag::nhwc}));
}

}  // namespace
}  // namespace tapeflow
