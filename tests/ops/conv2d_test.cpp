// tests/ops/conv2d_test.cpp - Conv2D against a naive loop, SAME padding
// goldens, gradients, Relu fusion, FLOPs and every rejection.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/program.h"
#include "ops/registry.h"
#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_conv.h"

namespace tapeflow {
namespace {

using testing::expectClose;
using testing::HostTensor;
using Attrs = std::map<std::string, AttrValue>;

struct ConvCase {
  std::string label;
  Dims src, weights;
  bool bias = true;
  Attrs attrs;
  reference::ConvParams params;
};

/// Inputs of a case, seeded.
std::vector<HostTensor> inputsOf(const ConvCase& c, uint64_t seed) {
  std::vector<HostTensor> in = {testing::randomTensor(c.src, seed),
                                testing::randomTensor(c.weights, seed + 1)};
  if (c.bias) in.push_back(testing::randomTensor({c.weights[0]}, seed + 2));
  return in;
}

std::vector<float> referenceOf(const ConvCase& c,
                               const std::vector<HostTensor>& in, Dims* dims) {
  return reference::conv2d(in[0].data, c.src, in[1].data, c.weights,
                           c.bias ? in[2].data : std::vector<float>{}, c.params,
                           dims);
}

/// A SAME case: the reference gets the TensorFlow pads.
ConvCase sameCase(std::string label, Dims src, Dims weights, int64_t sh,
                  int64_t sw, int64_t dh = 1, int64_t dw = 1) {
  ConvCase c{std::move(label), src, weights, true, {}, {}};
  c.attrs = {{"padding", AttrValue::ofString("SAME")},
             {"stride", AttrValue::ofInts({sh, sw})},
             {"dilation", AttrValue::ofInts({dh, dw})}};
  auto [top, bottom] = reference::samePads(src[2], weights[2], sh, dh);
  auto [left, right] = reference::samePads(src[3], weights[3], sw, dw);
  c.params = {sh, sw, top, left, bottom, right, dh, dw, 1};
  return c;
}

std::vector<ConvCase> forwardCases() {
  std::vector<ConvCase> cases;
  cases.push_back({"valid", {2, 3, 7, 7}, {5, 3, 3, 3}, true, {}, {}});
  cases.push_back(
      sameCase("same_stride2_odd", {2, 5, 9, 7}, {4, 5, 3, 4}, 2, 3));
  cases.push_back(
      sameCase("same_dilation2", {1, 3, 8, 9}, {4, 3, 3, 3}, 1, 2, 2, 2));
  ConvCase expl{
      "explicit_asymmetric", {1, 3, 6, 5}, {4, 3, 3, 3}, true, {}, {}};
  expl.attrs = {{"padding", AttrValue::ofString("EXPLICIT")},
                {"pads", AttrValue::ofInts({1, 0, 2, 1})}};
  expl.params = {1, 1, 1, 0, 2, 1, 1, 1, 1};
  cases.push_back(expl);
  ConvCase dil{"dilation2", {2, 3, 9, 9}, {4, 3, 3, 3}, true, {}, {}};
  dil.attrs = {{"dilation", AttrValue::ofInts({2, 1})}};
  dil.params.dilationH = 2;
  cases.push_back(dil);
  ConvCase grp{"groups2", {2, 4, 6, 6}, {6, 2, 3, 3}, true, {}, {}};
  grp.attrs = {{"groups", AttrValue::ofInt(2)}};
  grp.params.groups = 2;
  cases.push_back(grp);
  ConvCase dw{"depthwise", {1, 6, 5, 5}, {6, 1, 3, 3}, true, {}, {}};
  dw.attrs = {{"groups", AttrValue::ofInt(6)}};
  dw.params.groups = 6;
  cases.push_back(dw);
  // groups 2, EXPLICIT pads, dilation 2 and stride 2 together
  ConvCase mix{"mixed", {2, 4, 9, 8}, {6, 2, 3, 3}, true, {}, {}};
  mix.attrs = {{"groups", AttrValue::ofInt(2)},
               {"padding", AttrValue::ofString("EXPLICIT")},
               {"pads", AttrValue::ofInts({1, 0, 2, 1})},
               {"dilation", AttrValue::ofInts({2, 2})},
               {"stride", AttrValue::ofInts({2, 2})}};
  mix.params = {2, 2, 1, 0, 2, 1, 2, 2, 2};
  cases.push_back(mix);
  cases.push_back({"no_bias", {1, 3, 5, 5}, {2, 3, 3, 3}, false, {}, {}});
  cases.push_back(sameCase("c13_same", {2, 13, 8, 8}, {7, 13, 3, 3}, 1, 1));
  return cases;
}

TEST(Conv2DTest, ForwardMatchesReference) {
  uint64_t seed = 10;
  for (const ConvCase& c : forwardCases()) {
    SCOPED_TRACE(c.label);
    auto in = inputsOf(c, seed += 3);
    auto y = testing::runOp("Conv2D", c.attrs, in);
    ASSERT_EQ(y.size(), 1u);
    Dims dims;
    std::vector<float> want = referenceOf(c, in, &dims);
    EXPECT_EQ(y[0].dims, dims);
    expectClose(y[0].data, want, 1e-4f, c.label);
  }
}

TEST(Conv2DTest, TrainingForwardMatchesInference) {
  for (const ConvCase& c : forwardCases()) {
    SCOPED_TRACE(c.label);
    auto in = inputsOf(c, 77);
    auto inference = testing::runOp("Conv2D", c.attrs, in, false);
    auto training = testing::runOp("Conv2D", c.attrs, in, true);
    expectClose(training[0].data, inference[0].data, 1e-6f, c.label);
  }
}

// Ones in, ones as weights: each output counts the real pixels under its
// window, which shows where SAME put the padding.
std::vector<float> countWindow(int64_t size, int64_t stride) {
  HostTensor x{{1, 1, size, size}, std::vector<float>(size * size, 1.f)};
  HostTensor w{{1, 1, 3, 3}, std::vector<float>(9, 1.f)};
  auto y = testing::runOp("Conv2D",
                          {{"padding", AttrValue::ofString("SAME")},
                           {"stride", AttrValue::ofInts({stride, stride})}},
                          {x, w});
  EXPECT_EQ(y[0].dims, (Dims{1, 1, 3, 3}));
  return y[0].data;
}

TEST(Conv2DTest, SamePaddingSplitsEvenTotals) {
  // 5x5, 3x3, stride 2: out 3, total pad 2 -> 1 before, 1 after.
  EXPECT_EQ(countWindow(5, 2), (std::vector<float>{4, 6, 4, 6, 9, 6, 4, 6, 4}));
}

TEST(Conv2DTest, SamePaddingPutsOddPixelAtEnd) {
  // 6x6, 3x3, stride 2: out 3, total pad 1 -> 0 before, 1 after.
  EXPECT_EQ(countWindow(6, 2), (std::vector<float>{9, 9, 6, 9, 9, 6, 6, 6, 4}));
}

TEST(Conv2DTest, SamePaddingKeepsSizeAtStrideOne) {
  HostTensor x = testing::randomTensor({1, 2, 5, 6}, 4);
  HostTensor w = testing::randomTensor({3, 2, 4, 3}, 5);
  auto y = testing::runOp("Conv2D", {{"padding", AttrValue::ofString("SAME")}},
                          {x, w});
  EXPECT_EQ(y[0].dims, (Dims{1, 3, 5, 6}));
}

void checkGradients(const ConvCase& c, int minChecked) {
  SCOPED_TRACE(c.label);
  auto r = testing::gradCheck("Conv2D", c.attrs, inputsOf(c, 31), SampleCase{});
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_GE(r.checked, minChecked);
}

TEST(Conv2DTest, GradientMatchesFiniteDifferences) {
  checkGradients({"plain", {2, 3, 5, 5}, {4, 3, 3, 3}, true, {}, {}},
                 150 + 108 + 4);
  checkGradients(sameCase("stride2_same", {1, 5, 7, 6}, {3, 5, 3, 2}, 2, 2),
                 210 + 90 + 3);
  ConvCase grp{"groups2_dilation2", {2, 6, 7, 7}, {4, 3, 3, 3}, true, {}, {}};
  grp.attrs = {{"groups", AttrValue::ofInt(2)},
               {"dilation", AttrValue::ofInts({2, 2})},
               {"padding", AttrValue::ofString("EXPLICIT")},
               {"pads", AttrValue::ofInts({1, 0, 2, 1})}};
  checkGradients(grp, 588 + 108 + 4);
  checkGradients({"no_bias_c13", {1, 13, 4, 4}, {2, 13, 3, 3}, false, {}, {}},
                 208 + 234);
}

// conv [-> relu], built by hand. Params x, w, b; frozen ones get no
// gradient (an empty vector is returned for them).
struct ConvRun {
  bool fused = false;
  std::string impl;  ///< the convolution's NodeInfo::impl
  std::vector<float> out, gradSrc, gradWeights, gradBias;
};

struct GraphSpec {
  Attrs attrs;
  bool relu = true;
  bool fuse = true;
  bool trainable[3] = {true, true, true};
};

ConvRun runConv(const std::vector<HostTensor>& in,
                const std::vector<float>& seed, const GraphSpec& spec) {
  Graph g;
  g.name = "conv_graph";
  g.file = "<test>";
  const char* names[] = {"x", "w", "b"};
  for (int i = 0; i < 3; ++i) {
    g.params.push_back(testing::paramOf(names[i], in[i]));
    g.params.back().trainable = spec.trainable[i];
  }
  g.nodes = {testing::nodeOf("conv", "Conv2D", {"x", "w", "b"}, "conv_out",
                             spec.attrs)};
  std::string out = "conv_out";
  if (spec.relu) {
    g.nodes.push_back(
        testing::nodeOf("relu", "Relu", {"conv_out"}, "relu_out"));
    out = "relu_out";
  }
  g.outputs = {out};
  PlanOptions opts;
  opts.mode = Mode::Training;
  opts.gradTargets = {out};
  opts.fuse = spec.fuse;
  testing::GraphPlan p(g, opts);
  ConvRun r;
  r.fused = spec.relu && p.plan->fused(1);
  r.impl = p.plan->nodeInfo(0).impl;
  p.plan->forward();
  r.out = p.plan->readValue(out);
  p.plan->seedGrad(out, seed.data());
  p.plan->backward();
  std::vector<float>* grads[] = {&r.gradSrc, &r.gradWeights, &r.gradBias};
  for (int i = 0; i < 3; ++i)
    if (spec.trainable[i]) *grads[i] = p.plan->readGrad(names[i]);
  return r;
}

TEST(Conv2DTest, FusedReluMatchesUnfusedPlan) {
  ConvCase c = sameCase("relu", {2, 3, 6, 6}, {5, 3, 3, 3}, 1, 1);
  auto in = inputsOf(c, 55);
  Dims dims;
  std::vector<float> want = referenceOf(c, in, &dims);
  for (float& v : want) v = std::max(v, 0.f);
  std::vector<float> seed = testing::randomTensor(dims, 56).data;
  GraphSpec spec;
  spec.attrs = c.attrs;
  ConvRun fused = runConv(in, seed, spec);
  spec.fuse = false;
  ConvRun plain = runConv(in, seed, spec);
  EXPECT_TRUE(fused.fused);
  EXPECT_FALSE(plain.fused);
  expectClose(fused.out, want, 1e-4f, "fused output");
  expectClose(plain.out, want, 1e-4f, "unfused output");
  expectClose(fused.gradWeights, plain.gradWeights, 1e-5f, "weights grad");
  expectClose(fused.gradSrc, plain.gradSrc, 1e-5f, "src grad");
  expectClose(fused.gradBias, plain.gradBias, 1e-5f, "bias grad");
}

// Frozen inputs: backward data / weights are skipped or write a scratch,
// and the gradients that are computed do not change.
TEST(Conv2DTest, FrozenInputsKeepOtherGradients) {
  ConvCase c{"groups2", {2, 4, 6, 5}, {6, 2, 3, 3}, true, {}, {}};
  c.attrs = {{"groups", AttrValue::ofInt(2)},
             {"padding", AttrValue::ofString("SAME")}};
  auto in = inputsOf(c, 91);
  std::vector<float> seed = testing::randomTensor({2, 6, 6, 5}, 92).data;
  GraphSpec spec;
  spec.attrs = c.attrs;
  spec.relu = false;
  ConvRun all = runConv(in, seed, spec);
  for (int frozen = 0; frozen < 3; ++frozen) {
    SCOPED_TRACE("frozen input " + std::to_string(frozen));
    GraphSpec partial = spec;
    partial.trainable[frozen] = false;
    ConvRun r = runConv(in, seed, partial);
    expectClose(r.out, all.out, 1e-6f, "output");
    if (frozen != 0) expectClose(r.gradSrc, all.gradSrc, 1e-5f, "src grad");
    if (frozen != 1)
      expectClose(r.gradWeights, all.gradWeights, 1e-5f, "weights grad");
    if (frozen != 2) expectClose(r.gradBias, all.gradBias, 1e-5f, "bias grad");
  }
}

// LeNet's convolutions (batch 64, 5x5, SAME) must not fall back to the
// reference kernels in any direction.
TEST(Conv2DTest, LeNetShapesUseFastKernels) {
  for (auto [src, weights] :
       {std::pair<Dims, Dims>{{64, 1, 32, 32}, {20, 1, 5, 5}},
        {{64, 20, 16, 16}, {50, 20, 5, 5}}}) {
    HostTensor x{src, std::vector<float>(numel(src), 0.5f)};
    HostTensor w{weights, std::vector<float>(numel(weights), 0.1f)};
    HostTensor b{{weights[0]}, std::vector<float>(weights[0], 0.f)};
    auto program = Program::build(
        testing::oneOpGraph(
            "Conv2D", {{"padding", AttrValue::ofString("SAME")}}, {x, w, b}, 1),
        ops::registry());
    ParamStore store(program);
    store.initialize(0);
    PlanOptions opts;
    opts.mode = Mode::Training;
    opts.gradTargets = {"out0"};
    Plan plan(program, store, opts);
    const std::string& impl = plan.nodeInfo(0).impl;
    SCOPED_TRACE(impl);
    EXPECT_NE(impl.find("fwd="), std::string::npos);
    EXPECT_NE(impl.find("bwd_data="), std::string::npos);
    EXPECT_NE(impl.find("bwd_weights="), std::string::npos);
    EXPECT_EQ(impl.find("ref"), std::string::npos);
  }
}

// Copies [N, C, ...] into [N, C + extra, ...], the extra channels zero.
std::vector<float> padChannels(const std::vector<float>& v, const Dims& d,
                               int64_t extra) {
  const int64_t inner = numel(d) / (d[0] * d[1]), c = d[1];
  std::vector<float> out;
  for (int64_t n = 0; n < d[0]; ++n) {
    auto from = v.begin() + n * c * inner;
    out.insert(out.end(), from, from + c * inner);
    out.insert(out.end(), size_t(extra * inner), 0.f);
  }
  return out;
}

// 6 and 20 input channels (not multiples of 8, more than oneDNN's
// first-layer kernels read): src, dst and their gradients are nhwc, and
// output and gradients equal those of the same convolution padded with zero
// channels to the next multiple of 8 (8, 24), which keeps oneDNN's own
// layouts.
TEST(Conv2DTest, UnalignedChannelsRunNhwc) {
  const auto f32 = dnnl::memory::data_type::f32;
  const auto nhwc = dnnl::memory::format_tag::nhwc;
  for (int64_t c : {6, 20}) {
    SCOPED_TRACE("channels " + std::to_string(c));
    const int64_t extra = 8 - c % 8;
    const Dims src{4, c, 9, 9}, weights{16, c, 5, 5};
    HostTensor x = testing::randomTensor(src, 61);
    HostTensor w = testing::randomTensor(weights, 62);
    HostTensor b = testing::randomTensor({16}, 63);
    std::vector<float> seed = testing::randomTensor({4, 16, 5, 5}, 64).data;
    auto odd = testing::runWithLayout("Conv2D", {}, {x, w, b},
                                      {false, false, false}, nhwc, seed);
    EXPECT_EQ(odd.outputDesc, dnnl::memory::desc({4, 16, 5, 5}, f32, nhwc));
    HostTensor xp{{4, c + extra, 9, 9}, padChannels(x.data, src, extra)};
    HostTensor wp{{16, c + extra, 5, 5}, padChannels(w.data, weights, extra)};
    auto padded = testing::runWithLayout("Conv2D", {}, {xp, wp, b},
                                         {false, false, false}, nhwc, seed);
    EXPECT_NE(padded.outputDesc, dnnl::memory::desc({4, 16, 5, 5}, f32, nhwc));
    ASSERT_EQ(odd.grads.size(), 3u);
    ASSERT_EQ(padded.grads.size(), 3u);
    expectClose(odd.output, padded.output, 1e-5f, "output");
    expectClose(padChannels(odd.grads[0], src, extra), padded.grads[0], 1e-5f,
                "src grad");
    expectClose(padChannels(odd.grads[1], weights, extra), padded.grads[1],
                1e-5f, "weights grad");
    expectClose(odd.grads[2], padded.grads[2], 1e-5f, "bias grad");
  }
}

// A src that arrives nhwc stays nhwc (16 channels would get oneDNN's
// choice from a plain src), with the values of the plain run.
TEST(Conv2DTest, NhwcSourceStaysNhwc) {
  const auto nhwc = dnnl::memory::format_tag::nhwc;
  HostTensor x = testing::randomTensor({2, 16, 7, 7}, 71);
  HostTensor w = testing::randomTensor({8, 16, 3, 3}, 72);
  HostTensor b = testing::randomTensor({8}, 73);
  std::vector<float> seed = testing::randomTensor({2, 8, 5, 5}, 74).data;
  auto plain = testing::runWithLayout("Conv2D", {}, {x, w, b},
                                      {false, false, false}, nhwc, seed);
  auto kept = testing::runWithLayout("Conv2D", {}, {x, w, b},
                                     {true, false, false}, nhwc, seed);
  EXPECT_EQ(kept.outputDesc,
            dnnl::memory::desc({2, 8, 5, 5}, dnnl::memory::data_type::f32,
                               nhwc));
  expectClose(kept.output, plain.output, 1e-5f, "output");
  for (size_t i = 0; i < 3; ++i)
    expectClose(kept.grads[i], plain.grads[i], 1e-5f, "grad " + std::to_string(i));
}

// ------------------------------------------- windows covering the input

// [N,C,5,5] * [O,C,5,5] (LeNet's C5) runs as an inner product. Its reference
// is the same convolution padded by 1 on every side, which runs as a
// convolution: the centre of its [N,O,3,3] output is the [N,O,1,1] one, and
// a gradient seeded on the centre only gives the same input gradients.
struct WholeWindow {
  int64_t kN, kC = 16, kO, kK = 5;
  HostTensor x, w, b;
  std::vector<float> seed;
  WholeWindow(int64_t n = 4, int64_t o = 12)
      : kN(n),
        kO(o),
        x(testing::randomTensor({kN, kC, kK, kK}, 81)),
        w(testing::randomTensor({kO, kC, kK, kK}, 82)),
        b(testing::randomTensor({kO}, 83)),
        seed(testing::randomTensor({kN, kO, 1, 1}, 84).data) {}

  std::vector<HostTensor> inputs(bool bias) const {
    return bias ? std::vector<HostTensor>{x, w, b}
                : std::vector<HostTensor>{x, w};
  }
  static Attrs padded() {
    return {{"padding", AttrValue::ofString("EXPLICIT")},
            {"pads", AttrValue::ofInts({1, 1, 1, 1})}};
  }
  /// The padded convolution's gradient seed: `seed` at the centres.
  std::vector<float> paddedSeed() const {
    std::vector<float> out(size_t(kN * kO * 9), 0.f);
    for (int64_t i = 0; i < kN * kO; ++i) out[i * 9 + 4] = seed[i];
    return out;
  }
  static std::vector<float> centres(const std::vector<float>& v) {
    std::vector<float> out;
    for (size_t i = 4; i < v.size(); i += 9) out.push_back(v[i]);
    return out;
  }
};

TEST(Conv2DTest, WholeInputWindowRunsAsInnerProduct) {
  const auto f32 = dnnl::memory::data_type::f32;
  WholeWindow t;
  for (bool bias : {true, false}) {
    SCOPED_TRACE(bias ? "bias" : "no bias");
    auto in = t.inputs(bias);
    const std::vector<bool> plainSrc(in.size(), false);
    auto ip = testing::runWithLayout("Conv2D", {}, in, plainSrc,
                                     dnnl::memory::format_tag::nchw, t.seed);
    EXPECT_NE(ip.impl.find("fwd=ip:"), std::string::npos) << ip.impl;
    EXPECT_NE(ip.impl.find("bwd_data=ip:"), std::string::npos) << ip.impl;
    EXPECT_NE(ip.impl.find("bwd_weights=ip:"), std::string::npos) << ip.impl;
    EXPECT_EQ(ip.impl.find("ref"), std::string::npos) << ip.impl;
    // Plain src and the plain parameter: nothing to convert in any direction.
    EXPECT_EQ(ip.reorders, 0) << ip.impl;
    EXPECT_EQ(ip.outputDesc,
              dnnl::memory::desc({t.kN, t.kO, 1, 1}, f32,
                                 dnnl::memory::format_tag::nchw));
    ConvCase c{
        "whole", {t.kN, t.kC, t.kK, t.kK}, {t.kO, t.kC, t.kK, t.kK}, bias, {},
        {}};
    Dims dims;
    expectClose(ip.output, referenceOf(c, in, &dims), 1e-5f, "vs naive");
    EXPECT_EQ(dims, (Dims{t.kN, t.kO, 1, 1}));

    auto conv =
        testing::runWithLayout("Conv2D", WholeWindow::padded(), in, plainSrc,
                               dnnl::memory::format_tag::nchw, t.paddedSeed());
    EXPECT_EQ(conv.impl.find("ip:"), std::string::npos) << conv.impl;
    expectClose(ip.output, WholeWindow::centres(conv.output), 1e-5f, "output");
    ASSERT_EQ(ip.grads.size(), in.size());
    ASSERT_EQ(conv.grads.size(), in.size());
    for (size_t i = 0; i < in.size(); ++i)
      expectClose(ip.grads[i], conv.grads[i], 1e-5f,
                  "grad " + std::to_string(i));

    auto inference = testing::runWithLayout(
        "Conv2D", {}, in, plainSrc, dnnl::memory::format_tag::nchw, {}, false);
    EXPECT_NE(inference.impl.find("fwd=ip:"), std::string::npos);
    EXPECT_EQ(inference.impl.find("bwd"), std::string::npos) << inference.impl;
    expectClose(inference.output, ip.output, 1e-6f, "inference output");
  }
}

// The src as a producer leaves it (nhwc from an unaligned convolution, or
// oneDNN's 16-channel blocks): the same values as from a plain src. With
// 32 samples and 4 outputs, reordering the weights (1,600 floats) costs
// less than the src (12,800), so both choices run: a small batch converts
// the src, this one the weights.
void checkSrcLayouts(int64_t n, int64_t o) {
  SCOPED_TRACE("batch " + std::to_string(n));
  WholeWindow t(n, o);
  auto in = t.inputs(true);
  auto plain = testing::runWithLayout("Conv2D", {}, in, {false, false, false},
                                      dnnl::memory::format_tag::nchw, t.seed);
  for (auto layout :
       {dnnl::memory::format_tag::nhwc, dnnl::memory::format_tag::nChw16c}) {
    SCOPED_TRACE("src layout " + std::to_string(int(layout)));
    auto r = testing::runWithLayout("Conv2D", {}, in, {true, false, false},
                                    layout, t.seed);
    EXPECT_NE(r.impl.find("fwd=ip:"), std::string::npos) << r.impl;
    EXPECT_EQ(r.impl.find("ref"), std::string::npos) << r.impl;
    expectClose(r.output, plain.output, 1e-5f, "output");
    ASSERT_EQ(r.grads.size(), 3u);
    for (size_t i = 0; i < 3; ++i)
      expectClose(r.grads[i], plain.grads[i], 1e-5f,
                  "grad " + std::to_string(i));
  }
}

TEST(Conv2DTest, WholeInputWindowTakesNhwcAndBlockedSrc) {
  checkSrcLayouts(4, 12);
  checkSrcLayouts(32, 4);
}

// A fused Relu (a post-op of the inner product) and frozen inputs (no
// backward data; weights gradient into a scratch) give the unfused plan's
// values.
TEST(Conv2DTest, WholeInputWindowFusesReluAndSkipsFrozenGradients) {
  WholeWindow t;
  auto in = t.inputs(true);
  GraphSpec spec;
  ConvRun fused = runConv(in, t.seed, spec);
  spec.fuse = false;
  ConvRun plain = runConv(in, t.seed, spec);
  EXPECT_TRUE(fused.fused);
  EXPECT_NE(fused.impl.find("fwd=ip:"), std::string::npos) << fused.impl;
  EXPECT_NE(plain.impl.find("fwd=ip:"), std::string::npos) << plain.impl;
  ConvCase c{"whole", in[0].dims, in[1].dims, true, {}, {}};
  Dims dims;
  std::vector<float> want = referenceOf(c, in, &dims);
  for (float& v : want) v = std::max(v, 0.f);
  expectClose(fused.out, want, 1e-5f, "fused output");
  expectClose(fused.gradSrc, plain.gradSrc, 1e-5f, "src grad");
  expectClose(fused.gradWeights, plain.gradWeights, 1e-5f, "weights grad");
  expectClose(fused.gradBias, plain.gradBias, 1e-5f, "bias grad");
  for (int frozen = 0; frozen < 3; ++frozen) {
    SCOPED_TRACE("frozen input " + std::to_string(frozen));
    GraphSpec partial;
    partial.trainable[frozen] = false;
    ConvRun r = runConv(in, t.seed, partial);
    EXPECT_NE(r.impl.find("fwd=ip:"), std::string::npos) << r.impl;
    EXPECT_EQ(r.impl.find("bwd_data") == std::string::npos, frozen == 0)
        << r.impl;
    expectClose(r.out, fused.out, 1e-6f, "output");
    if (frozen != 0) expectClose(r.gradSrc, fused.gradSrc, 1e-5f, "src grad");
    if (frozen != 1)
      expectClose(r.gradWeights, fused.gradWeights, 1e-5f, "weights grad");
    if (frozen != 2)
      expectClose(r.gradBias, fused.gradBias, 1e-5f, "bias grad");
  }
}

TEST(Conv2DTest, WholeInputWindowGradientMatchesFiniteDifferences) {
  checkGradients({"whole_bias", {2, 3, 4, 3}, {5, 3, 4, 3}, true, {}, {}},
                 72 + 180 + 5);
  checkGradients({"whole_no_bias", {3, 6, 2, 2}, {4, 6, 2, 2}, false, {}, {}},
                 72 + 96);
}

TEST(Conv2DTest, FlopsCountMultiplyAddsAndBias) {
  HostTensor x = testing::randomTensor({2, 4, 6, 6}, 1);
  HostTensor w = testing::randomTensor({6, 2, 3, 3}, 2);
  HostTensor b = testing::randomTensor({6}, 3);
  Attrs attrs = {{"groups", AttrValue::ofInt(2)},
                 {"stride", AttrValue::ofInts({2, 2})},
                 {"padding", AttrValue::ofString("SAME")}};
  auto withBias = Program::build(
      testing::oneOpGraph("Conv2D", attrs, {x, w, b}, 1), ops::registry());
  auto noBias = Program::build(testing::oneOpGraph("Conv2D", attrs, {x, w}, 1),
                               ops::registry());
  // dst [2,6,3,3] = 108 outputs, each 2*3*3 multiply-adds.
  EXPECT_EQ(noBias->flopsPerSample(0), 108 * 2 * 18);
  EXPECT_EQ(withBias->flopsPerSample(0), 108 * 2 * 18 + 108);
}

// ---------------------------------------------------------------- rejects

template <class E>
void expectRejects(const Attrs& attrs, const std::vector<Dims>& dims,
                   const std::string& substring) {
  testing::expectRejects<E>("Conv2D", attrs, dims, substring);
}

const std::vector<Dims> kOk = {{1, 6, 5, 5}, {4, 6, 3, 3}, {4}};

TEST(Conv2DTest, RejectsSrcOfWrongRank) {
  expectRejects<ShapeError>(
      {}, {{6, 5, 5}, {4, 6, 3, 3}},
      "input 'src' [6,5,5] must have rank 4, found rank 3");
}

TEST(Conv2DTest, RejectsWeightsOfWrongRank) {
  expectRejects<ShapeError>(
      {}, {{1, 6, 5, 5}, {4, 54}},
      "input 'weights' [4,54] must have rank 4, found rank 2");
}

TEST(Conv2DTest, RejectsBiasOfWrongRank) {
  expectRejects<ShapeError>(
      {}, {{1, 6, 5, 5}, {4, 6, 3, 3}, {1, 4}},
      "input 'bias' [1,4] must have rank 1, found rank 2");
}

TEST(Conv2DTest, RejectsBiasOfWrongSize) {
  expectRejects<ShapeError>({}, {{1, 6, 5, 5}, {4, 6, 3, 3}, {5}},
                            "input 'bias' has 5 values, expected 4");
}

TEST(Conv2DTest, RejectsWeightsWithWrongInputChannels) {
  expectRejects<ShapeError>({}, {{1, 6, 5, 5}, {4, 3, 3, 3}},
                            "input 'weights' has 3 input channels per group, "
                            "expected 6 (src has 6 channels, groups 1)");
}

TEST(Conv2DTest, RejectsChannelsNotDivisibleByGroups) {
  expectRejects<ShapeError>({{"groups", AttrValue::ofInt(4)}}, kOk,
                            "input 'src' has 6 channels, which is not a "
                            "multiple of groups 4");
}

TEST(Conv2DTest, RejectsOutputChannelsNotDivisibleByGroups) {
  expectRejects<ShapeError>({{"groups", AttrValue::ofInt(2)}},
                            {{1, 6, 5, 5}, {5, 3, 3, 3}},
                            "input 'weights' has 5 output channels, which is "
                            "not a multiple of groups 2");
}

TEST(Conv2DTest, RejectsNonPositiveStride) {
  expectRejects<AttrError>({{"stride", AttrValue::ofInts({0, 1})}}, kOk,
                           "attribute 'stride': must be positive, found [0,1]");
}

TEST(Conv2DTest, RejectsNonPositiveDilation) {
  expectRejects<AttrError>({{"dilation", AttrValue::ofInts({1, 0})}}, kOk,
                           "attribute 'dilation': must be positive");
}

TEST(Conv2DTest, RejectsNonPositiveGroups) {
  expectRejects<AttrError>({{"groups", AttrValue::ofInt(0)}}, kOk,
                           "attribute 'groups': must be positive, found 0");
}

TEST(Conv2DTest, RejectsListsOfWrongLength) {
  expectRejects<AttrError>({{"stride", AttrValue::ofInts({2})}}, kOk,
                           "attribute 'stride': must have 2 values, found 1");
  expectRejects<AttrError>({{"dilation", AttrValue::ofInts({1, 1, 1})}}, kOk,
                           "attribute 'dilation': must have 2 values, found 3");
  expectRejects<AttrError>({{"padding", AttrValue::ofString("EXPLICIT")},
                            {"pads", AttrValue::ofInts({1, 1})}},
                           kOk,
                           "attribute 'pads': must have 4 values, found 2");
}

TEST(Conv2DTest, RejectsNegativePads) {
  expectRejects<AttrError>({{"padding", AttrValue::ofString("EXPLICIT")},
                            {"pads", AttrValue::ofInts({0, -1, 0, 0})}},
                           kOk,
                           "attribute 'pads': must be non-negative, found "
                           "[0,-1,0,0]");
}

TEST(Conv2DTest, RejectsPadsWithoutExplicitPadding) {
  expectRejects<AttrError>(
      {{"pads", AttrValue::ofInts({1, 1, 1, 1})}}, kOk,
      "attribute 'pads': non-zero pads need padding "
      "\"EXPLICIT\", found [1,1,1,1] with padding \"VALID\"");
  expectRejects<AttrError>({{"padding", AttrValue::ofString("SAME")},
                            {"pads", AttrValue::ofInts({0, 0, 1, 0})}},
                           kOk, "with padding \"SAME\"");
}

TEST(Conv2DTest, RejectsPadAsLargeAsKernel) {
  expectRejects<AttrError>(
      {{"padding", AttrValue::ofString("EXPLICIT")},
       {"pads", AttrValue::ofInts({0, 0, 0, 3})}},
      kOk,
      "attribute 'pads': pad 3 along width must be smaller "
      "than the dilated kernel extent 3");
  // Dilation 2 widens a 3x3 kernel to 5: a pad of 4 is allowed.
  auto y = testing::runOp("Conv2D",
                          {{"padding", AttrValue::ofString("EXPLICIT")},
                           {"pads", AttrValue::ofInts({4, 0, 0, 0})},
                           {"dilation", AttrValue::ofInts({2, 2})}},
                          {testing::randomTensor({1, 6, 5, 5}, 1),
                           testing::randomTensor({4, 6, 3, 3}, 2)});
  EXPECT_EQ(y[0].dims, (Dims{1, 4, 5, 1}));
}

TEST(Conv2DTest, RejectsKernelLargerThanPaddedInput) {
  expectRejects<ShapeError>({}, {{1, 6, 4, 9}, {4, 6, 5, 5}},
                            "window of 5 along height is larger than the "
                            "padded input (4)");
  expectRejects<ShapeError>({{"dilation", AttrValue::ofInts({1, 3})}}, kOk,
                            "window of 7 along width is larger than the "
                            "padded input (5)");
}

TEST(Conv2DTest, RejectsUnknownPadding) {
  expectRejects<AttrError>({{"padding", AttrValue::ofString("FULL")}}, kOk,
                           "attribute 'padding' must be one of");
}

}  // namespace
}  // namespace tapeflow
