// tests/frontends/onnx_import_ops_test.cpp - the ONNX ops import maps beyond
// LeNet's (ConvTranspose, PRelu, Softplus, Log, Sqrt, Max, Min, Clip, Pow,
// HardSigmoid, Abs, Neg, Exp, GlobalMaxPool, Squeeze, ReduceMax, ReduceMean,
// Unsqueeze, Transpose, LayerNormalization, Slice, ReduceSum, Split at
// opsets 11, 13 and 17, Resize, Gather): models through tapeflow and ONNX Runtime give the
// same output; attributes tapeflow cannot compute are errors naming them.
#include <gtest/gtest.h>

#include <onnx/onnx_pb.h>

#include <set>

#include "../support/onnx_builder.h"
#include "../support/onnx_support.h"
#include "../support/scratch_dir.h"

namespace tapeflow {
namespace {

using namespace onnxtest;

// x [N,2,6,6] -> ... -> out [N,2]; every new mapping on the path.
onnx::ModelProto newOpsModel() {
  onnx::ModelProto m = tinyModel("ConvTranspose", 17);
  onnx::GraphProto* g = m.mutable_graph();
  auto* dims = g->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
  dims->mutable_dim(2)->set_dim_value(6);
  dims->mutable_dim(3)->set_dim_value(6);
  g->clear_node();
  addInit(g, "wt", {2, 3, 3, 3}, 1);
  addInit(g, "bt", {3}, 2);
  addInit(g, "slope", {12}, 3);  // ONNX: along the last axis (W = 12)
  addInit(g, "ln_scale", {3}, 4);
  addInit(g, "ln_bias", {3}, 5);
  addScalar(g, "cmin", -0.75f);
  addScalar(g, "cmax", 1.5f);
  addScalar(g, "two", 2.f);
  addInts(g, "axes23", {2, 3});
  addInts(g, "axes2", {2});
  addInts(g, "axes1", {1});
  addInts(g, "zero", {0});
  auto* ct = addNode(g, "ConvTranspose", {"x", "wt", "bt"}, "ct");  // [N,3,12,12]
  intsAttr(ct, "strides", {2, 2});
  intsAttr(ct, "pads", {1, 1, 1, 1});
  intsAttr(ct, "output_padding", {1, 1});
  addNode(g, "PRelu", {"ct", "slope"}, "p");
  addNode(g, "Softplus", {"p"}, "sp");
  addNode(g, "Log", {"sp"}, "lg");
  addNode(g, "Sqrt", {"sp"}, "sq");
  addNode(g, "Max", {"lg", "sq"}, "mx");
  addNode(g, "Min", {"mx", "p"}, "mn");
  addNode(g, "Clip", {"mn", "cmin", "cmax"}, "cl");
  addNode(g, "Pow", {"cl", "two"}, "pw");
  auto* hs = addNode(g, "HardSigmoid", {"pw"}, "hs");
  floatAttr(hs, "alpha", 0.3f);
  floatAttr(hs, "beta", 0.4f);
  addNode(g, "Abs", {"p"}, "ab");
  addNode(g, "Neg", {"ab"}, "ng");
  addNode(g, "Exp", {"ng"}, "ex");
  addNode(g, "Mul", {"hs", "ex"}, "m");
  addNode(g, "GlobalMaxPool", {"m"}, "gm");       // [N,3,1,1]
  addNode(g, "Squeeze", {"gm", "axes23"}, "sqz");  // [N,3]
  auto* rmax = addNode(g, "ReduceMax", {"m"}, "rmax");  // [N,3,12]
  intsAttr(rmax, "axes", {3});
  intAttr(rmax, "keepdims", 0);
  auto* rmean = addNode(g, "ReduceMean", {"rmax"}, "rmean");  // [N,3]
  intsAttr(rmean, "axes", {2});
  intAttr(rmean, "keepdims", 0);
  addNode(g, "Add", {"sqz", "rmean"}, "s");
  addNode(g, "Unsqueeze", {"s", "axes2"}, "u");  // [N,3,1]
  auto* tr = addNode(g, "Transpose", {"u"}, "t");  // [N,1,3]
  intsAttr(tr, "perm", {0, 2, 1});
  addNode(g, "LayerNormalization", {"t", "ln_scale", "ln_bias"}, "ln");
  addNode(g, "Slice", {"ln", "zero", "axes1", "axes2"}, "sl");  // [N,1,1]: ends 1 on axis 2
  auto* rs = addNode(g, "ReduceSum", {"ln", "axes1"}, "rs");    // [N,3]
  intAttr(rs, "keepdims", 0);
  addNode(g, "Squeeze", {"sl", "axes1"}, "sl2");  // [N,1]
  addNode(g, "Add", {"rs", "sl2"}, "out");        // [N,3]
  g->mutable_output(0)->set_name("out");
  auto* t = g->mutable_output(0)->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  t->mutable_shape()->add_dim()->set_dim_param("N");
  t->mutable_shape()->add_dim()->set_dim_value(3);
  return m;
}

TEST(OnnxImportOpsTest, NewOpsMatchOnnxRuntime) {
  if (!onnxio::available()) GTEST_SKIP() << "built without ONNX (libonnx-dev missing)";
  const std::string bytes = newOpsModel().SerializeAsString();
  ASSERT_NO_THROW(onnxio::checkModel(bytes, "new_ops.onnx"));
  onnxio::ImportResult r = onnxio::importModel(bytes, "new_ops.onnx", {});
  auto p = Program::build(r.graph, ops::registry());
  std::set<std::string> kinds;
  for (const auto& n : r.graph.nodes) kinds.insert(n.op);
  for (const char* op : {"ConvTranspose2D", "PRelu", "Softplus", "Log", "Sqrt", "Max", "Min",
                         "Clip", "Pow", "HardSigmoid", "Abs", "Neg", "Exp", "GlobalMaxPool",
                         "Squeeze", "ReduceMax", "ReduceMean", "Unsqueeze", "Transpose",
                         "LayerNorm", "Slice", "ReduceSum"})
    EXPECT_TRUE(kinds.count(op)) << op;
  onnxio::ParamValues values;
  for (const auto& t : r.tensors) values[t.name] = t.data;
  if (std::string why = ortMissing(); !why.empty()) GTEST_SKIP() << why;
  testing::ScratchDir dir("onnx_new_ops");
  writeBytes(dir.path() + "/new_ops.onnx", bytes);
  std::vector<float> x = randomInput(3 * 2 * 6 * 6, 9);
  expectNear(runTapeflow(p, values, x, 3),
             runOrt(dir.path(), dir.path() + "/new_ops.onnx", x, {3, 2, 6, 6}), 1e-4f);
}

// x [N,2,4,4]: Split axis 3 into [1, 3] (sizes an attribute before opset
// 13, an input from it), then the [N,2,4,3] part into two equal halves
// along axis 2 (no sizes); out [N,20] joins what remains.
onnx::ModelProto splitModel(int opset) {
  onnx::ModelProto m = tinyModel("Split", opset);
  onnx::GraphProto* g = m.mutable_graph();
  onnx::NodeProto* s = g->mutable_node(0);
  s->set_output(0, "left");
  s->add_output("right");
  intAttr(s, "axis", 3);
  if (opset >= 13) {
    addInts(g, "sizes", {1, 3});
    s->add_input("sizes");
  } else {
    intsAttr(s, "split", {1, 3});
  }
  auto* halves = addNode(g, "Split", {"right"}, "up");
  halves->add_output("down");
  intAttr(halves, "axis", -2);
  addNode(g, "Mul", {"up", "down"}, "m");                   // [N,2,2,3]
  intAttr(addNode(g, "Flatten", {"m"}, "fm"), "axis", 1);    // [N,12]
  intAttr(addNode(g, "Flatten", {"left"}, "fl"), "axis", 1); // [N,8]
  intAttr(addNode(g, "Concat", {"fm", "fl"}, "out"), "axis", 1);
  g->mutable_output(0)->set_name("out");
  auto* t = g->mutable_output(0)->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  t->mutable_shape()->add_dim()->set_dim_param("N");
  t->mutable_shape()->add_dim()->set_dim_value(20);
  return m;
}

TEST(OnnxImportOpsTest, SplitMatchesOnnxRuntimeWithSizesAsAttributeOrInput) {
  if (!onnxio::available()) GTEST_SKIP() << "built without ONNX (libonnx-dev missing)";
  for (int opset : {11, 13, 17}) {
    SCOPED_TRACE("opset " + std::to_string(opset));
    const std::string bytes = splitModel(opset).SerializeAsString();
    ASSERT_NO_THROW(onnxio::checkModel(bytes, "split.onnx"));
    onnxio::ImportResult r = onnxio::importModel(bytes, "split.onnx", {});
    std::vector<const Node*> splits;
    for (const auto& n : r.graph.nodes)
      if (n.op == "Split") splits.push_back(&n);
    ASSERT_EQ(splits.size(), 2u);
    EXPECT_EQ(splits[0]->outputs.size(), 2u);
    EXPECT_EQ(splits[0]->attrs.at("split").ints, (std::vector<int64_t>{1, 3}));
    EXPECT_EQ(splits[1]->outputs.size(), 2u);
    EXPECT_FALSE(splits[1]->attrs.count("split"));  // equal parts
    auto p = Program::build(r.graph, ops::registry());
    if (std::string why = ortMissing(); !why.empty()) GTEST_SKIP() << why;
    testing::ScratchDir dir("onnx_split");
    writeBytes(dir.path() + "/split.onnx", bytes);
    std::vector<float> x = randomInput(3 * 2 * 4 * 4, 13);
    std::vector<float> ours = runTapeflow(p, {}, x, 3);
    ASSERT_EQ(ours.size(), 3u * 20u);
    expectNear(ours, runOrt(dir.path(), dir.path() + "/split.onnx", x, {3, 2, 4, 4}), 1e-4f);
  }
}

void stringAttr(onnx::NodeProto* n, const char* name, const std::string& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(v);
}

/// A float tensor initializer with the given values (Resize's scales).
void addFloats(onnx::GraphProto* g, const std::string& name, const std::vector<float>& v) {
  onnx::TensorProto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->add_dims(int64_t(v.size()));
  for (float x : v) t->add_float_data(x);
}

// x [N,2,4,4] -> Resize nearest x2 (half_pixel, round_prefer_floor: the
// defaults) -> Resize linear to [N,2,6,12] (pytorch_half_pixel, as PyTorch
// writes it) -> out.
onnx::ModelProto resizeModel() {
  onnx::ModelProto m = tinyModel("Resize", 13);
  onnx::GraphProto* g = m.mutable_graph();
  g->clear_node();
  addFloats(g, "x2", {1, 1, 2, 2});
  addFloats(g, "lin", {1, 1, 0.75f, 1.5f});
  auto* n = addNode(g, "Resize", {"x", "", "x2"}, "up");
  stringAttr(n, "mode", "nearest");
  auto* l = addNode(g, "Resize", {"up", "", "lin"}, "out");
  stringAttr(l, "mode", "linear");
  stringAttr(l, "coordinate_transformation_mode", "pytorch_half_pixel");
  g->mutable_output(0)->set_name("out");
  return m;
}

TEST(OnnxImportOpsTest, ResizeMatchesOnnxRuntime) {
  if (!onnxio::available()) GTEST_SKIP() << "built without ONNX (libonnx-dev missing)";
  const std::string bytes = resizeModel().SerializeAsString();
  onnxio::ImportResult r = onnxio::importModel(bytes, "resize.onnx", {});
  ASSERT_EQ(r.graph.nodes.size(), 2u);
  for (const Node& n : r.graph.nodes) {
    EXPECT_EQ(n.op, "Resize");
    EXPECT_EQ(n.attrs.at("coordinate_transformation_mode").s, "half_pixel");
  }
  auto p = Program::build(r.graph, ops::registry());
  EXPECT_EQ(p->value(p->predictionValue()).dims, (Dims{-1, 2, 6, 12}));
  if (std::string why = ortMissing(); !why.empty()) GTEST_SKIP() << why;
  testing::ScratchDir dir("onnx_resize");
  writeBytes(dir.path() + "/resize.onnx", bytes);
  std::vector<float> x = randomInput(3 * 2 * 4 * 4, 17);
  expectNear(runTapeflow(p, {}, x, 3),
             runOrt(dir.path(), dir.path() + "/resize.onnx", x, {3, 2, 4, 4}), 1e-4f);
}

void expectError(onnx::ModelProto m, const std::vector<std::string>& parts) {
  try {
    onnxio::importModel(m.SerializeAsString(), "m.onnx", {});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.exitCode(), ExitCode::BadInput);
    for (const auto& part : parts) EXPECT_NE(what.find(part), std::string::npos) << what;
  }
}

TEST(OnnxImportOpsTest, WhatCannotBeMappedExactlyIsAnError) {
  if (!onnxio::available()) GTEST_SKIP() << "built without ONNX (libonnx-dev missing)";
  {  // Pow with a run-time exponent
    onnx::ModelProto m = tinyModel("Pow", 17);
    m.mutable_graph()->mutable_node(0)->add_input("x");
    expectError(m, {"'n1'", "Pow", "exponent", "constant float scalar"});
  }
  {  // ReduceSum that reduces nothing when axes are empty
    onnx::ModelProto m = tinyModel("ReduceSum", 17);
    intAttr(m.mutable_graph()->mutable_node(0), "noop_with_empty_axes", 1);
    expectError(m, {"'n1'", "noop_with_empty_axes"});
  }
  {  // LayerNormalization with double statistics
    onnx::ModelProto m = tinyModel("LayerNormalization", 17);
    addInit(m.mutable_graph(), "s", {4}, 1);
    m.mutable_graph()->mutable_node(0)->add_input("s");
    intAttr(m.mutable_graph()->mutable_node(0), "stash_type", 11);
    expectError(m, {"'n1'", "stash_type"});
  }
  {  // ConvTranspose with auto_pad SAME_UPPER
    onnx::ModelProto m = tinyModel("ConvTranspose", 17);
    addInit(m.mutable_graph(), "w", {2, 3, 3, 3}, 1);
    m.mutable_graph()->mutable_node(0)->add_input("w");
    auto* a = m.mutable_graph()->mutable_node(0)->add_attribute();
    a->set_name("auto_pad");
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s("SAME_UPPER");
    expectError(m, {"'n1'", "auto_pad"});
  }
  {  // Split: equal parts that do not divide the axis (before opset 18)
    onnx::ModelProto m = tinyModel("Split", 13);
    m.mutable_graph()->mutable_node(0)->add_output("z");
    m.mutable_graph()->mutable_node(0)->add_output("w");
    intAttr(m.mutable_graph()->mutable_node(0), "axis", 2);
    expectError(m, {"'n1'", "Split", "axis 2 has 4", "3 equal parts", "opset 13"});
  }
  {  // Split: as many sizes as outputs
    onnx::ModelProto m = tinyModel("Split", 11);
    m.mutable_graph()->mutable_node(0)->add_output("z");
    intsAttr(m.mutable_graph()->mutable_node(0), "split", {1, 1, 2});
    expectError(m, {"'n1'", "split has 3 sizes for 2 outputs"});
  }
  {  // Split from opset 13 takes its sizes as an input, not an attribute
    onnx::ModelProto m = tinyModel("Split", 13);
    m.mutable_graph()->mutable_node(0)->add_output("z");
    intsAttr(m.mutable_graph()->mutable_node(0), "split", {2, 2});
    expectError(m, {"'n1'", "attribute 'split' is not supported", "opset 13"});
  }
  {  // Split sizes computed at run time
    onnx::ModelProto m = tinyModel("Split", 13);
    m.mutable_graph()->mutable_node(0)->add_input("x");
    m.mutable_graph()->mutable_node(0)->add_output("z");
    expectError(m, {"'n1'", "split input 'x'", "constant"});
  }
  {  // Resize by constant sizes (they fix the batch axis)
    onnx::ModelProto m = resizeModel();
    m.mutable_graph()->mutable_node(0)->set_input(2, "");
    addInts(m.mutable_graph(), "sizes", {1, 2, 8, 8});
    m.mutable_graph()->mutable_node(0)->add_input("sizes");
    expectError(m, {"'up'", "Resize", "'sizes'"});
  }
  {  // Resize nearest, asymmetric coordinates rounded: not a replication
    onnx::ModelProto m = resizeModel();
    stringAttr(m.mutable_graph()->mutable_node(0), "coordinate_transformation_mode", "asymmetric");
    expectError(m, {"'up'", "nearest_mode", "only floor"});
  }
  {  // Resize cubic
    onnx::ModelProto m = resizeModel();
    m.mutable_graph()->mutable_node(1)->mutable_attribute(0)->set_s("cubic");
    expectError(m, {"'out'", "mode", "nearest or linear"});
  }
  {  // Gather by constant indices (tapeflow's indices are an int32 input)
    onnx::ModelProto m = tinyModel("Gather", 13);
    addInts(m.mutable_graph(), "idx", {0, 1});
    m.mutable_graph()->mutable_node(0)->add_input("idx");
    expectError(m, {"'n1'", "Gather", "constant indices 'idx'"});
  }
  {  // Max of three inputs
    onnx::ModelProto m = tinyModel("Max", 17);
    m.mutable_graph()->mutable_node(0)->add_input("x");
    m.mutable_graph()->mutable_node(0)->add_input("x");
    expectError(m, {"'n1'", "Max", "two inputs"});
  }
}

}  // namespace
}  // namespace tapeflow
