// tests/core/grad_view_test.cpp - a Concat input's gradient as a part of
// the Concat's output gradient (PrepareContext::gradInputAsView): taken for
// an activation that reads its gradient as rows (a Relu folded into its
// convolution) and feeds nothing else, refused for a MaxPool producer, for
// an input read twice and without fusion; the gradients are those of the
// copy path, bit for bit.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "core/param_store.h"
#include "core/plan.h"
#include "core/row_view.h"
#include "frontends/pbtxt/pbtxt_loader.h"
#include "ops/registry.h"
#include "tests/support/tree_paths.h"

namespace tapeflow {
namespace {

// Four 16-channel branches of x joined on the channels: ra and rb (Relu
// folded into a convolution), pc (MaxPool), rd (Relu, joined twice).
const char* kBranches = R"(
format_version: 1
name: "branches"
input { name: "x" dtype: F32 shape: [-1, 3, 6, 6] }
param { name: "wa" shape: [16, 3, 3, 3] init { kind: "he_uniform" } }
param { name: "wb" shape: [16, 3, 1, 1] init { kind: "he_uniform" } }
param { name: "wc" shape: [16, 3, 3, 3] init { kind: "he_uniform" } }
param { name: "wd" shape: [16, 3, 3, 3] init { kind: "he_uniform" } }
node { name: "ca" op: "Conv2D" input: ["x", "wa"] output: "ca" attr { name: "padding" s: "SAME" } }
node { name: "ra" op: "Relu" input: "ca" output: "ra" }
node { name: "cb" op: "Conv2D" input: ["x", "wb"] output: "cb" }
node { name: "rb" op: "Relu" input: "cb" output: "rb" }
node { name: "cc" op: "Conv2D" input: ["x", "wc"] output: "cc" attr { name: "padding" s: "SAME" } }
node { name: "pc" op: "MaxPool" input: "cc" output: "pc"
       attr { name: "kernel" ints: [3, 3] } attr { name: "stride" ints: [1, 1] }
       attr { name: "padding" s: "SAME" } }
node { name: "cd" op: "Conv2D" input: ["x", "wd"] output: "cd" attr { name: "padding" s: "SAME" } }
node { name: "rd" op: "Relu" input: "cd" output: "rd" }
node { name: "y" op: "Concat" input: ["ra", "rb", "pc", "rd", "rd"] output: "y" }
output: "y"
)";

/// A training plan of `p` at batch 4 with its own parameters (seed 5),
/// run once: forward, backward from a random gradient of `target`; keeps
/// the gradient of every param and of x.
struct PlanRun {
  std::unique_ptr<ParamStore> store;
  std::unique_ptr<Plan> plan;
  std::map<std::string, std::vector<float>> grads;

  PlanRun(std::shared_ptr<const Program> p, bool fuse, const std::string& target) {
    store = std::make_unique<ParamStore>(p);
    store->initialize(5);
    PlanOptions o;
    o.batch = 4;
    o.fuse = fuse;
    o.inputGrads = true;
    o.gradTargets = {target};
    plan = std::make_unique<Plan>(p, *store, o);
    Rng rng(9);
    for (int v = 0; v < int(p->values().size()); ++v) {
      if (p->value(v).kind != ValueKind::Input || p->value(v).dtype != DType::F32) continue;
      dnnl::memory& m = plan->inputMemory(p->value(v).name);
      for (size_t i = 0; i < m.get_desc().get_size() / 4; ++i)
        hostPtr(m)[i] = 2.f * rng.uniform() - 1.f;
    }
    plan->forward();
    std::vector<float> g(plan->readValue(target).size());
    for (float& v : g) v = 2.f * rng.uniform() - 1.f;
    plan->seedGrad(target, g.data());
    plan->backward();
    for (int v = 0; v < int(p->values().size()); ++v)
      if (p->value(v).kind != ValueKind::NodeOutput && plan->valueNeedsGrad(v))
        grads[p->value(v).name] = plan->readGrad(p->value(v).name);
  }

  int viewOf(const std::string& value) const {
    return plan->gradViewOf(plan->program().findValue(value));
  }
  const NodeInfo& info(const std::string& node) const {
    const auto& nodes = plan->program().graph().nodes;
    for (size_t n = 0; n < nodes.size(); ++n)
      if (nodes[n].name == node) return plan->nodeInfo(int(n));
    throw std::runtime_error("no node " + node);
  }
};

std::shared_ptr<const Program> parse(const std::string& text) {
  return Program::build(parseGraphText(text, "<test>"), ops::registry());
}

TEST(GradViewTest, FoldedReluInputsReadTheirSliceOfTheOutputGradient) {
  auto p = parse(kBranches);
  PlanRun fused(p, true, "y"), copied(p, false, "y");
  const int y = p->findValue("y");
  EXPECT_EQ(fused.viewOf("ra"), y);
  EXPECT_EQ(fused.viewOf("rb"), y);
  EXPECT_EQ(fused.viewOf("pc"), -1) << "MaxPool reads a dense gradient";
  EXPECT_EQ(fused.viewOf("rd"), -1) << "two contributions accumulate";
  const std::string impl = fused.info("y").impl;
  EXPECT_NE(impl.find("bwd0=view"), std::string::npos) << impl;
  EXPECT_NE(impl.find("bwd1=view"), std::string::npos) << impl;
  EXPECT_EQ(impl.find("bwd2=view"), std::string::npos) << impl;
  for (const char* v : {"ra", "rb", "pc", "rd"}) EXPECT_EQ(copied.viewOf(v), -1) << v;
  EXPECT_TRUE(fused.plan->fused(p->value(p->findValue("ra")).owner));
  // The gradient of a view reads back as the slice of y's gradient.
  std::vector<float> dy = fused.plan->readGrad("y"), da = fused.plan->readGrad("ra");
  ASSERT_EQ(da.size(), size_t(4 * 16 * 36));
  for (int64_t n = 0; n < 4; ++n)
    for (int64_t k = 0; k < 16 * 36; ++k)
      ASSERT_EQ(da[size_t(n * 16 * 36 + k)], dy[size_t(n * 80 * 36 + k)]) << n << " " << k;
  ASSERT_EQ(fused.grads.size(), copied.grads.size());
  for (const auto& [name, g] : copied.grads) EXPECT_EQ(fused.grads[name], g) << name;
}

TEST(GradViewTest, InceptionConcatsCopyNoGradient) {
  auto p = Program::build(loadGraphFile(paths::sourceDir() + "/models/inception_mnist.pbtxt"),
                          ops::registry());
  PlanRun fused(p, true, "loss"), copied(p, false, "loss");
  for (const char* node : {"stem", "b1", "b2"}) {
    const int n = p->value(p->findValue(node)).owner;
    for (int v : p->nodeInputs(n)) {
      EXPECT_EQ(fused.plan->gradViewOf(v), p->findValue(node)) << p->value(v).name;
      EXPECT_EQ(copied.plan->gradViewOf(v), -1) << p->value(v).name;
    }
    EXPECT_EQ(fused.info(node).impl.find("simple"), std::string::npos) << fused.info(node).impl;
  }
  ASSERT_FALSE(fused.grads.empty());
  for (const auto& [name, g] : copied.grads) EXPECT_EQ(fused.grads[name], g) << name;
}

// rowViewOf: a block-aligned channel slice of nChw16c is one run per
// sample; a slice of nhwc, or a layout other than the dense one, is not.
TEST(GradViewTest, RowViewOfChannelSlices) {
  using tag = dnnl::memory::format_tag;
  const auto f32 = dnnl::memory::data_type::f32;
  dnnl::memory::desc whole({4, 48, 5, 5}, f32, tag::nChw16c);
  dnnl::memory::desc part({4, 16, 5, 5}, f32, tag::nChw16c);
  std::optional<RowView> v = rowViewOf(whole.submemory_desc({4, 16, 5, 5}, {0, 32, 0, 0}), part);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->offset, 32 * 25);
  EXPECT_EQ(v->rows, 4);
  EXPECT_EQ(v->rowLength, 16 * 25);
  EXPECT_EQ(v->rowStride, 48 * 25);
  dnnl::memory::desc plainWhole({4, 48, 5, 5}, f32, tag::nchw);
  v = rowViewOf(plainWhole.submemory_desc({4, 16, 5, 5}, {0, 16, 0, 0}),
                dnnl::memory::desc({4, 16, 5, 5}, f32, tag::nchw));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->offset, 16 * 25);
  dnnl::memory::desc nhwc({4, 48, 5, 5}, f32, tag::nhwc);
  EXPECT_FALSE(rowViewOf(nhwc.submemory_desc({4, 16, 5, 5}, {0, 16, 0, 0}),
                         dnnl::memory::desc({4, 16, 5, 5}, f32, tag::nhwc)));
  EXPECT_FALSE(rowViewOf(whole.submemory_desc({4, 16, 5, 5}, {0, 16, 0, 0}),
                         dnnl::memory::desc({4, 16, 5, 5}, f32, tag::nChw8c)));
}

}  // namespace
}  // namespace tapeflow
