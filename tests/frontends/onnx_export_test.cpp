// tests/frontends/onnx_export_test.cpp - tapeflow export: every exported file
// passes the full ONNX checker, ONNX Runtime reproduces tapeflow's logits
// (both LeNet-5s and graphs with batch norm, a residual Add, Concat, Pad,
// Dropout, Split, an MLP, reductions and slices, layer norms, resizes,
// Embedding and Gather), and
// export -> import -> export is the identity with bit-identical weights.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "../support/onnx_support.h"
#include "../support/scratch_dir.h"

namespace tapeflow {
namespace {

using namespace onnxtest;

// Batch norm (inference form), a residual Add, two pooled branches joined by
// Concat, Pad, Dropout (dropped on export), dense layers, LogSoftmax.
constexpr const char* kResMix = R"(
format_version: 1
name: "resmix"
input { name: "image" dtype: F32 shape: [-1, 3, 8, 8] }
input { name: "label" dtype: I32 shape: [-1] }
param { name: "c1.w" shape: [4, 3, 3, 3] init { kind: "he_uniform" } }
param { name: "c1.b" shape: [4] init { kind: "uniform" low: -0.5 high: 0.5 } }
param { name: "bn.scale" shape: [4] init { kind: "uniform" low: 0.5 high: 1.5 } }
param { name: "bn.shift" shape: [4] init { kind: "uniform" low: -0.5 high: 0.5 } }
param { name: "bn.mean" shape: [4] constant: true data: [0.1, -0.2, 0.3, 0.05] }
param { name: "bn.var" shape: [4] constant: true data: [0.5, 1.5, 2.0, 0.8] }
param { name: "c2.w" shape: [4, 4, 3, 3] init { kind: "he_uniform" } }
param { name: "fc1.w" shape: [16, 288] init { kind: "xavier_uniform" } }
param { name: "fc1.b" shape: [16] init { kind: "uniform" low: -0.1 high: 0.1 } }
param { name: "fc2.w" shape: [5, 16] init { kind: "xavier_uniform" } }
param { name: "fc2.b" shape: [5] init { kind: "uniform" low: -0.1 high: 0.1 } }
node { name: "c1" op: "Conv2D" input: ["image", "c1.w", "c1.b"] output: "c1"
       attr { name: "padding" s: "SAME" } }
node { name: "bn" op: "BatchNorm" input: ["c1", "bn.scale", "bn.shift", "bn.mean", "bn.var"]
       output: "bn" attr { name: "epsilon" f: 0.001 } }
node { name: "r1" op: "Relu" input: "bn" output: "r1" }
node { name: "c2" op: "Conv2D" input: ["r1", "c2.w"] output: "c2"
       attr { name: "padding" s: "EXPLICIT" } attr { name: "pads" ints: [1, 1, 1, 1] } }
node { name: "res" op: "Add" input: ["c2", "r1"] output: "res" }
node { name: "maxp" op: "MaxPool" input: "res" output: "maxp"
       attr { name: "kernel" ints: [3, 3] } attr { name: "stride" ints: [2, 2] }
       attr { name: "padding" s: "SAME" } }
node { name: "avgp" op: "AvgPool" input: "res" output: "avgp"
       attr { name: "kernel" ints: [2, 2] } }
node { name: "cat" op: "Concat" input: ["maxp", "avgp"] output: "cat" }
node { name: "pad" op: "Pad" input: "cat" output: "pad"
       attr { name: "pads" ints: [0, 0, 1, 1, 0, 0, 1, 1] } attr { name: "value" f: 0.25 } }
node { name: "flat" op: "Flatten" input: "pad" output: "flat" }
node { name: "drop" op: "Dropout" input: "flat" output: "drop" attr { name: "rate" f: 0.3 } }
node { name: "fc1" op: "Linear" input: ["drop", "fc1.w", "fc1.b"] output: "fc1" }
node { name: "t1" op: "Tanh" input: "fc1" output: "t1" }
node { name: "fc2" op: "Linear" input: ["t1", "fc2.w", "fc2.b"] output: "fc2" }
node { name: "logp" op: "LogSoftmax" input: "fc2" output: "logp" }
node { name: "loss" op: "SoftmaxCrossEntropy" input: ["fc2", "label"] output: "loss" }
loss: "loss"
output: "loss"
prediction: "logp"
)";

// An MLP on MatMul + Add with a Reshape, Sub/Div normalisation, LeakyRelu,
// Elu, Sigmoid and Softmax.
constexpr const char* kMlp = R"(
format_version: 1
name: "mlp"
input { name: "x" dtype: F32 shape: [-1, 1, 4, 4] }
param { name: "mu" shape: [16] init { kind: "uniform" low: -0.2 high: 0.2 } constant: true }
param { name: "sigma" shape: [1] constant: true data: [0.7] }
param { name: "w1" shape: [16, 12] init { kind: "xavier_uniform" } }
param { name: "b1" shape: [12] init { kind: "uniform" low: -0.1 high: 0.1 } }
param { name: "w2" shape: [9, 12] init { kind: "xavier_uniform" } }
param { name: "w3" shape: [7, 9] init { kind: "xavier_uniform" } }
node { name: "flat" op: "Reshape" input: "x" output: "flat" attr { name: "shape" ints: [0, -1] } }
node { name: "centre" op: "Sub" input: ["flat", "mu"] output: "centred" }
node { name: "scale" op: "Div" input: ["centred", "sigma"] output: "scaled" }
node { name: "mm" op: "MatMul" input: ["scaled", "w1"] output: "mm" }
node { name: "bias" op: "Add" input: ["mm", "b1"] output: "h1" }
node { name: "a1" op: "LeakyRelu" input: "h1" output: "a1" attr { name: "alpha" f: 0.2 } }
node { name: "d2" op: "Linear" input: ["a1", "w2"] output: "h2" }
node { name: "a2" op: "Elu" input: "h2" output: "a2" }
node { name: "g" op: "Sigmoid" input: "a2" output: "g" }
node { name: "d3" op: "Linear" input: ["g", "w3"] output: "h3" }
node { name: "prob" op: "Softmax" input: "h3" output: "prob" }
output: "prob"
prediction: "prob"
)";

// The elementwise and shape ops exported under their own names: Transpose,
// Abs, Neg, Exp, Softplus, Sqrt, Log, Min, Max, HardSigmoid, GlobalMaxPool.
constexpr const char* kEltwise = R"(
format_version: 1
name: "eltwise"
input { name: "x" dtype: F32 shape: [-1, 2, 4, 4] }
param { name: "w" shape: [5, 2] init { kind: "xavier_uniform" } }
node { name: "t" op: "Transpose" input: "x" output: "t" attr { name: "perm" ints: [0, 1, 3, 2] } }
node { name: "abs" op: "Abs" input: "t" output: "abs" }
node { name: "neg" op: "Neg" input: "abs" output: "neg" }
node { name: "exp" op: "Exp" input: "neg" output: "exp" }
node { name: "sp" op: "Softplus" input: "t" output: "sp" }
node { name: "sqrt" op: "Sqrt" input: "sp" output: "sqrt" }
node { name: "log" op: "Log" input: "sp" output: "log" }
node { name: "min" op: "Min" input: ["sqrt", "exp"] output: "min" }
node { name: "max" op: "Max" input: ["min", "log"] output: "max" }
node { name: "hs" op: "HardSigmoid" input: "max" output: "hs" attr { name: "alpha" f: 0.3 } }
node { name: "gmp" op: "GlobalMaxPool" input: "hs" output: "gmp" }
node { name: "flat" op: "Flatten" input: "gmp" output: "flat" }
node { name: "fc" op: "Linear" input: ["flat", "w"] output: "fc" }
node { name: "prob" op: "Softmax" input: "fc" output: "prob" }
output: "prob"
prediction: "prob"
)";

// Split three ways: equal parts of channels (the node's output count),
// equal parts of an odd axis (3 + 2: the last part smaller, written as
// explicit sizes), and explicit sizes along a negative axis with one output
// nobody uses.
constexpr const char* kSplit = R"(
format_version: 1
name: "split"
input { name: "x" dtype: F32 shape: [-1, 2, 5, 6] }
param { name: "w" shape: [4, 27] init { kind: "xavier_uniform" } }
node { name: "ch" op: "Split" input: "x" output: ["a", "b"] attr { name: "axis" i: 1 } }
node { name: "m" op: "Mul" input: ["a", "b"] output: "m" }
node { name: "rows" op: "Split" input: "m" output: ["top", "bottom"]
       attr { name: "axis" i: 2 } attr { name: "num_outputs" i: 2 } }
node { name: "cols" op: "Split" input: "top" output: ["p1", "p2", "p3"]
       attr { name: "axis" i: -1 } attr { name: "split" ints: [1, 2, 3] } }
node { name: "join" op: "Concat" input: ["p3", "p2"] output: "join" attr { name: "axis" i: 3 } }
node { name: "f1" op: "Flatten" input: "join" output: "f1" }
node { name: "f2" op: "Flatten" input: "bottom" output: "f2" }
node { name: "cat" op: "Concat" input: ["f1", "f2"] output: "cat" }
node { name: "fc" op: "Linear" input: ["cat", "w"] output: "fc" }
output: "fc"
prediction: "fc"
)";

// PRelu (a per-channel slope param), Dropout2d, Clip, Pow, Slice (with and
// without axes and steps), ReduceSum/Mean/Max, Squeeze, Unsqueeze, Square,
// WeightedSum and Identity.
constexpr const char* kReduce = R"(
format_version: 1
name: "reduce"
input { name: "x" dtype: F32 shape: [-1, 3, 4, 6] }
param { name: "slope" shape: [3] init { kind: "uniform" low: 0.1 high: 0.4 } }
param { name: "w" shape: [4, 17] init { kind: "xavier_uniform" } }
node { name: "pr" op: "PRelu" input: ["x", "slope"] output: "pr" }
node { name: "d2" op: "Dropout2d" input: "pr" output: "d2" attr { name: "rate" f: 0.3 } }
node { name: "cl" op: "Clip" input: "d2" output: "cl"
       attr { name: "min" f: -0.3 } attr { name: "max" f: 0.8 } }
node { name: "ab" op: "Abs" input: "cl" output: "ab" }
node { name: "pw" op: "Pow" input: "ab" output: "pw" attr { name: "exponent" f: 1.5 } }
node { name: "sl" op: "Slice" input: "pw" output: "sl"
       attr { name: "starts" ints: [1, -5] } attr { name: "ends" ints: [4, 1000] }
       attr { name: "axes" ints: [2, -1] } attr { name: "steps" ints: [2, 1] } }
node { name: "rs" op: "ReduceSum" input: "sl" output: "rs" attr { name: "axes" ints: [2] } }
node { name: "sq" op: "Squeeze" input: "rs" output: "sq" attr { name: "axes" ints: [2] } }
node { name: "rm" op: "ReduceMean" input: "sq" output: "rm"
       attr { name: "axes" ints: [-1] } attr { name: "keepdims" i: 0 } }
node { name: "us" op: "Unsqueeze" input: "rm" output: "us" attr { name: "axes" ints: [-1] } }
node { name: "ad" op: "Add" input: ["sq", "us"] output: "ad" }
node { name: "sqr" op: "Square" input: "ad" output: "sqr" }
node { name: "ws" op: "WeightedSum" input: ["ad", "sqr"] output: "ws"
       attr { name: "weights" floats: [0.5, -2] } }
node { name: "id" op: "Identity" input: "ws" output: "id" }
node { name: "flat" op: "Flatten" input: "id" output: "flat" }
node { name: "sl2" op: "Slice" input: "x" output: "sl2"
       attr { name: "starts" ints: [1] } attr { name: "ends" ints: [3] } attr { name: "axes" ints: [1] } }
node { name: "rx" op: "ReduceMax" input: "sl2" output: "rx" attr { name: "axes" ints: [2, 3] } }
node { name: "sqa" op: "Squeeze" input: "rx" output: "sqa" attr { name: "axes" ints: [3, -2] } }
node { name: "cat" op: "Concat" input: ["flat", "sqa"] output: "cat" }
node { name: "fc" op: "Linear" input: ["cat", "w"] output: "fc" }
output: "fc"
prediction: "fc"
)";

// LayerNorm with and without bias (opset 17), SiLU, Swish, Clip with only an
// upper bound, and a PRelu whose
// rank-1 slope is computed (Abs of a param, then a Squeeze without axes, on
// no batch axis), so that it is reshaped.
constexpr const char* kLayerNorm = R"(
format_version: 1
name: "layernorm"
input { name: "x" dtype: F32 shape: [-1, 4, 6] }
param { name: "s1" shape: [6] init { kind: "uniform" low: 0.5 high: 1.5 } }
param { name: "b1" shape: [6] init { kind: "uniform" low: -0.5 high: 0.5 } }
param { name: "s2" shape: [4, 6] init { kind: "uniform" low: 0.5 high: 1.5 } }
param { name: "a" shape: [1, 4] init { kind: "uniform" low: -0.4 high: 0.4 } }
param { name: "w" shape: [5, 24] init { kind: "xavier_uniform" } }
node { name: "ln1" op: "LayerNorm" input: ["x", "s1", "b1"] output: "ln1" }
node { name: "si" op: "SiLU" input: "ln1" output: "si" }
node { name: "ln2" op: "LayerNorm" input: ["si", "s2"] output: "ln2"
       attr { name: "axis" i: 1 } attr { name: "epsilon" f: 0.001 } }
node { name: "sw" op: "Swish" input: "ln2" output: "sw" attr { name: "beta" f: 1.5 } }
node { name: "sa" op: "Abs" input: "a" output: "sa" }
node { name: "sqz" op: "Squeeze" input: "sa" output: "sqz" }
node { name: "pr" op: "PRelu" input: ["sw", "sqz"] output: "pr" }
node { name: "cap" op: "Clip" input: "pr" output: "cap" attr { name: "max" f: 0.9 } }
node { name: "flat" op: "Flatten" input: "cap" output: "flat" }
node { name: "fc" op: "Linear" input: ["flat", "w"] output: "fc" }
node { name: "prob" op: "Softmax" input: "fc" output: "prob" }
output: "prob"
prediction: "prob"
)";

// Upsample and Resize, nearest and linear, by scales (one whose in * scale
// falls just short of a whole size in float) and by sizes.
constexpr const char* kResize = R"(
format_version: 1
name: "resize"
input { name: "x" dtype: F32 shape: [-1, 2, 3, 5] }
param { name: "w" shape: [4, 240] init { kind: "xavier_uniform" } }
node { name: "up" op: "Upsample" input: "x" output: "up" attr { name: "scales" floats: [2, 3] } }
node { name: "rl" op: "Resize" input: "up" output: "rl"
       attr { name: "scales" floats: [1, 1, 0.5, 0.4] } attr { name: "mode" s: "linear" } }
node { name: "rn" op: "Resize" input: "x" output: "rn" attr { name: "sizes" ints: [6, 10] }
       attr { name: "coordinate_transformation_mode" s: "asymmetric" } }
node { name: "ru" op: "Upsample" input: "x" output: "ru"
       attr { name: "scales" floats: [2, 1.4] } attr { name: "mode" s: "linear" } }
node { name: "f1" op: "Flatten" input: "rl" output: "f1" }
node { name: "f2" op: "Flatten" input: "rn" output: "f2" }
node { name: "f3" op: "Flatten" input: "ru" output: "f3" }
node { name: "cat" op: "Concat" input: ["f1", "f2", "f3"] output: "cat" }
node { name: "fc" op: "Linear" input: ["cat", "w"] output: "fc" }
output: "fc"
prediction: "fc"
)";

// Embedding and Gather (ONNX Gather) on an int32 input of token ids.
constexpr const char* kGather = R"(
format_version: 1
name: "gather"
input { name: "ids" dtype: I32 shape: [-1, 5] }
param { name: "table" shape: [6, 4] init { kind: "uniform" low: -1 high: 1 } }
param { name: "rows" shape: [4, 3] init { kind: "uniform" low: -1 high: 1 } }
param { name: "w" shape: [2, 35] init { kind: "xavier_uniform" } }
node { name: "emb" op: "Embedding" input: ["table", "ids"] output: "emb" }
node { name: "g" op: "Gather" input: ["rows", "ids"] output: "g" }
node { name: "cat" op: "Concat" input: ["emb", "g"] output: "cat" attr { name: "axis" i: -1 } }
node { name: "flat" op: "Flatten" input: "cat" output: "flat" }
node { name: "fc" op: "Linear" input: ["flat", "w"] output: "fc" }
output: "fc"
prediction: "fc"
)";

struct Case {
  std::string name;
  std::shared_ptr<const Program> program;
  std::vector<int64_t> inputDims;  // at batch 3
  int ids = 0;                     // > 0: an int32 input of ids in [0, ids)
};

std::vector<Case> cases() {
  return {{"lenet5", buildModel("lenet5.pbtxt"), {3, 1, 32, 32}},
          {"lenet5_keras", buildModel("lenet5_keras.pbtxt"), {3, 1, 32, 32}},
          {"lenet5_c3table", buildModel("lenet5_c3table.pbtxt"), {3, 1, 32, 32}},
          {"resmix", buildText(kResMix), {3, 3, 8, 8}},
          {"mlp", buildText(kMlp), {3, 1, 4, 4}},
          {"eltwise", buildText(kEltwise), {3, 2, 4, 4}},
          {"split", buildText(kSplit), {3, 2, 5, 6}},
          {"reduce", buildText(kReduce), {3, 3, 4, 6}},
          {"layernorm", buildText(kLayerNorm), {3, 4, 6}},
          {"resize", buildText(kResize), {3, 2, 3, 5}},
          {"gather", buildText(kGather), {3, 5}, 4}};
}

size_t numel(const std::vector<int64_t>& d) {
  size_t n = 1;
  for (int64_t x : d) n *= size_t(x);
  return n;
}

/// The case's input: uniform [-1, 1), or whole ids in [0, c.ids).
std::vector<float> inputFor(const Case& c, uint64_t seed) {
  std::vector<float> x = randomInput(numel(c.inputDims), seed);
  if (c.ids > 0)
    for (float& v : x) v = std::min(float(c.ids - 1), std::floor((v + 1.f) * 0.5f * float(c.ids)));
  return x;
}

TEST(OnnxExportTest, EveryExportPassesTheFullChecker) {
  if (!onnxio::available()) GTEST_SKIP() << "built without ONNX (libonnx-dev missing)";
  for (const Case& c : cases()) {
    std::string bytes = onnxio::exportModel(*c.program, initialValues(c.program, 1), {"0.1.0", {}});
    EXPECT_NO_THROW(onnxio::checkModel(bytes, c.name)) << c.name;
    EXPECT_GT(bytes.size(), 100u) << c.name;
  }
}

TEST(OnnxExportTest, OnnxRuntimeReproducesTapeflowLogits) {
  if (!onnxio::available()) GTEST_SKIP() << "built without ONNX (libonnx-dev missing)";
  if (std::string why = ortMissing(); !why.empty()) GTEST_SKIP() << why;
  testing::ScratchDir dir("onnx_ort");
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    auto values = initialValues(c.program, 1);
    std::string path = dir.path() + "/" + c.name + ".onnx";
    writeBytes(path, onnxio::exportModel(*c.program, values, {"0.1.0", {}}));
    std::vector<float> x = inputFor(c, 11);
    std::vector<float> ours = runTapeflow(c.program, values, x, c.inputDims[0]);
    std::vector<float> ort = runOrt(dir.path(), path, x, c.inputDims, c.ids > 0);
    float largest = 0;
    for (float v : ours) largest = std::max(largest, std::abs(v));
    EXPECT_GT(largest, 1e-3f) << "logits all near zero: the comparison would prove nothing";
    expectNear(ours, ort, 1e-4f);
  }
}

TEST(OnnxExportTest, ExportImportExportIsTheIdentity) {
  if (!onnxio::available()) GTEST_SKIP() << "built without ONNX (libonnx-dev missing)";
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    std::string first = onnxio::exportModel(*c.program, initialValues(c.program, 1), {"0.1.0", {}});
    onnxio::ImportResult r = onnxio::importModel(first, c.name + ".onnx", {});
    auto imported = Program::build(r.graph, ops::registry());
    onnxio::ParamValues values;
    for (const auto& t : r.tensors) values[t.name] = t.data;
    std::string second = onnxio::exportModel(*imported, values, {"0.1.0", {}});
    EXPECT_EQ(first.size(), second.size());
    EXPECT_TRUE(first == second) << "the re-exported model differs";
    expectSameWeights(initialValues(c.program, 1), r);
    // The imported graph computes what the original computes.
    std::vector<float> x = inputFor(c, 5);
    expectNear(runTapeflow(c.program, initialValues(c.program, 1), x, c.inputDims[0]),
               runTapeflow(imported, values, x, c.inputDims[0]), 1e-5f);
  }
}

TEST(OnnxExportTest, DropsTrainingNodesAndMarksTheBatchAxis) {
  if (!onnxio::available()) GTEST_SKIP() << "built without ONNX (libonnx-dev missing)";
  auto p = buildText(kResMix);
  onnxio::ImportResult r =
      onnxio::importModel(onnxio::exportModel(*p, initialValues(p, 1), {}), "resmix.onnx", {});
  for (const Node& n : r.graph.nodes) {
    EXPECT_NE(n.op, "Dropout") << n.name;
    EXPECT_NE(n.op, "SoftmaxCrossEntropy") << n.name;
  }
  ASSERT_EQ(r.graph.inputs.size(), 1u);  // the label is not exported
  EXPECT_EQ(r.graph.inputs[0].dims, (Dims{-1, 3, 8, 8}));
  EXPECT_EQ(r.graph.prediction, "logp");
  for (const ParamDef& d : r.graph.params)  // running statistics stay constants
    EXPECT_EQ(d.trainable, d.name != "bn.mean" && d.name != "bn.var") << d.name;
}

TEST(OnnxExportTest, SplitWritesItsSizesAsAnInput) {
  if (!onnxio::available()) GTEST_SKIP() << "built without ONNX (libonnx-dev missing)";
  auto p = buildText(kSplit);
  onnxio::ImportResult r =
      onnxio::importModel(onnxio::exportModel(*p, initialValues(p, 1), {}), "split.onnx", {});
  std::map<std::string, std::vector<int64_t>> sizes;
  for (const Node& n : r.graph.nodes)
    if (n.op == "Split") {
      sizes[n.name] = n.attrs.at("split").ints;
      EXPECT_EQ(n.outputs.size(), sizes[n.name].size()) << n.name;
    }
  EXPECT_EQ(sizes["ch"], (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(sizes["rows"], (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(sizes["cols"], (std::vector<int64_t>{1, 2, 3}));
}

TEST(OnnxExportTest, ASplitIntoOnePartNeedsNoSizesEvenOnTheBatchAxis) {
  if (!onnxio::available()) GTEST_SKIP() << "built without ONNX (libonnx-dev missing)";
  auto p = buildText(R"(format_version: 1
input { name: "x" dtype: F32 shape: [-1, 4] }
node { name: "whole" op: "Split" input: "x" output: "a" }
node { name: "r" op: "Relu" input: "a" output: "y" }
output: "y"
prediction: "y")");
  std::string first = onnxio::exportModel(*p, {}, {});
  EXPECT_NO_THROW(onnxio::checkModel(first, "whole.onnx"));
  onnxio::ImportResult r = onnxio::importModel(first, "whole.onnx", {});
  ASSERT_EQ(r.graph.nodes.size(), 2u);
  EXPECT_EQ(r.graph.nodes[0].op, "Split");
  EXPECT_FALSE(r.graph.nodes[0].attrs.count("split"));
  auto back = Program::build(r.graph, ops::registry());
  EXPECT_TRUE(onnxio::exportModel(*back, {}, {}) == first);
}

TEST(OnnxExportTest, WritesOpset17OnlyForALayerNorm) {
  if (!onnxio::available()) GTEST_SKIP() << "built without ONNX (libonnx-dev missing)";
  for (const Case& c : cases()) {
    const int expected = c.name == "layernorm" ? 17 : 13;
    EXPECT_EQ(onnxio::exportOpset(*c.program), expected) << c.name;
    onnxio::ImportResult r = onnxio::importModel(
        onnxio::exportModel(*c.program, initialValues(c.program, 1), {}), c.name + ".onnx", {});
    EXPECT_EQ(r.opset, expected) << c.name;
  }
}

TEST(OnnxExportTest, WritesAPerChannelSlopeAsCx1x1) {
  if (!onnxio::available()) GTEST_SKIP() << "built without ONNX (libonnx-dev missing)";
  auto p = buildText(kReduce);
  onnxio::ImportResult r =
      onnxio::importModel(onnxio::exportModel(*p, initialValues(p, 1), {}), "reduce.onnx", {});
  bool found = false;
  for (const ParamDef& d : r.graph.params)
    if (d.name == "slope") {
      found = true;
      EXPECT_EQ(d.dims, (Dims{3, 1, 1}));
    }
  EXPECT_TRUE(found);
  for (const Node& n : r.graph.nodes) {  // dropped on export
    EXPECT_NE(n.op, "Dropout2d") << n.name;
    EXPECT_NE(n.op, "Identity") << n.name;
  }
}

TEST(OnnxExportTest, AnOpWithoutOnnxFormIsOneLineNamingNodeAndOp) {
  if (!onnxio::available()) GTEST_SKIP() << "built without ONNX (libonnx-dev missing)";
  const std::map<std::string, std::string> graphs = {
      {"Gelu", R"(node { name: "g" op: "Gelu" input: "x" output: "y" })"},
      {"GroupNorm", R"(param { name: "s" shape: [2] init { kind: "ones" } }
param { name: "b" shape: [2] init { kind: "zeros" } }
node { name: "g" op: "GroupNorm" input: ["x", "s", "b"] output: "y"
       attr { name: "num_groups" i: 1 } })"}};
  for (const auto& [op, body] : graphs) {
    SCOPED_TRACE(op);
    auto p = buildText("format_version: 1\ninput { name: \"x\" dtype: F32 shape: [-1, 2, 3, 3] }\n" +
                       body + "\noutput: \"y\"\nprediction: \"y\"\n");
    try {
      onnxio::exportModel(*p, initialValues(p, 1), {});
      FAIL() << "no error";
    } catch (const UnsupportedError& e) {
      std::string msg = e.what();
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
      EXPECT_NE(msg.find("node 'g' (" + op + ")"), std::string::npos) << msg;
      EXPECT_NE(msg.find("has no ONNX export"), std::string::npos) << msg;
    }
  }
}

TEST(OnnxExportTest, RejectsAGraphWithoutPrediction) {
  if (!onnxio::available()) GTEST_SKIP() << "built without ONNX (libonnx-dev missing)";
  auto p = buildText(R"(format_version: 1
input { name: "x" dtype: F32 shape: [-1, 4] }
node { name: "r" op: "Relu" input: "x" output: "y" }
output: "y")");
  try {
    onnxio::exportModel(*p, {}, {});
    FAIL() << "no error";
  } catch (const GraphError& e) {
    EXPECT_NE(std::string(e.what()).find("no prediction"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tapeflow
