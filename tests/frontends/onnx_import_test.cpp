// tests/frontends/onnx_import_test.cpp - tapeflow import: models exported by
// PyTorch 1.13 (the Keras LeNet-5 and a small ResNet with batch norm) give
// PyTorch's logits (also re-exported, in ONNX Runtime); the training head;
// and one clear error per bad input (truncated file, unknown op, unsupported
// attribute, dynamic shapes, opset too new, external data).
#include <gtest/gtest.h>

#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>

#include "../support/onnx_builder.h"
#include "../support/onnx_support.h"
#include "../support/scratch_dir.h"
#include "tests/support/tree_paths.h"

namespace tapeflow {
namespace {

using namespace onnxtest;

std::vector<float> readFloats(const std::string& path) {
  std::string b = readBytes(path);
  std::vector<float> v(b.size() / 4);
  std::memcpy(v.data(), b.data(), v.size() * 4);
  return v;
}

std::string torchMissing() {
  if (std::system("/usr/bin/python3 -c 'import torch' > /dev/null 2>&1") != 0)
    return "/usr/bin/python3 cannot import torch (Debian python3-torch is not installed)";
  return "";
}

onnxio::ImportResult importBytes(const std::string& bytes, onnxio::ImportOptions o = {}) {
  return onnxio::importModel(bytes, "m.onnx", o);
}

TEST(OnnxImportTest, PyTorchExportsGivePyTorchLogits) {
  if (!onnxio::available()) GTEST_SKIP() << "built without ONNX (libonnx-dev missing)";
  if (std::string why = torchMissing(); !why.empty()) GTEST_SKIP() << why;
  testing::ScratchDir dir("onnx_torch");
  std::string cmd = "/usr/bin/python3 '" + tapeflow::paths::sourceDir() + "/tests/onnx/torch_export.py' '" +
                    dir.path() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  struct Model {
    const char* name;
    std::vector<int64_t> dims;
  };
  for (const Model& m : {Model{"keras_lenet5", {3, 1, 32, 32}}, Model{"resnet", {3, 3, 16, 16}}}) {
    SCOPED_TRACE(m.name);
    std::string base = dir.path() + "/" + m.name;
    onnxio::ImportResult r = importBytes(readBytes(base + ".onnx"));
    auto p = Program::build(r.graph, ops::registry());
    onnxio::ParamValues values;
    int trainable = 0, constant = 0;
    for (const auto& t : r.tensors) {
      values[t.name] = t.data;
      (t.trainable ? trainable : constant)++;
    }
    // PyTorch's parameters stay distinct (Identity copies included) and its
    // running statistics are constants.
    std::ifstream counts(base + ".counts");
    int params = -1, buffers = -1;
    counts >> params >> buffers;
    EXPECT_EQ(trainable, params);
    EXPECT_EQ(constant, buffers);
    std::vector<float> torch = readFloats(base + ".logits.bin");
    std::vector<float> ours = runTapeflow(p, values, readFloats(base + ".input.bin"), m.dims[0]);
    float largest = 0;
    for (float v : ours) largest = std::max(largest, std::abs(v));
    EXPECT_GT(largest, 1e-3f);
    expectNear(ours, torch, 1e-4f);
    // Exported again, the model round-trips and ONNX Runtime agrees too.
    std::string again = onnxio::exportModel(*p, values, {});
    onnxio::ImportResult r2 = importBytes(again);
    onnxio::ParamValues values2;
    for (const auto& t : r2.tensors) values2[t.name] = t.data;
    EXPECT_TRUE(again == onnxio::exportModel(*Program::build(r2.graph, ops::registry()),
                                             values2, {}));
    if (!ortMissing().empty()) continue;
    writeBytes(base + ".again.onnx", again);
    expectNear(runOrt(dir.path(), base + ".again.onnx", readFloats(base + ".input.bin"), m.dims),
               torch, 1e-4f);
  }
}

// --- hand-made models -------------------------------------------------------

std::string ser(const onnx::ModelProto& m) { return m.SerializeAsString(); }

void expectError(const std::string& bytes, const std::vector<std::string>& parts) {
  try {
    importBytes(bytes);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    EXPECT_EQ(e.exitCode(), ExitCode::BadInput);
    for (const auto& p : parts) EXPECT_NE(what.find(p), std::string::npos) << what;
  }
}

TEST(OnnxImportTest, MapsAHandMadeModel) {
  if (!onnxio::available()) GTEST_SKIP() << "built without ONNX (libonnx-dev missing)";
  onnxio::ImportResult r = importBytes(ser(tinyModel("Relu")));
  ASSERT_EQ(r.graph.nodes.size(), 1u);
  EXPECT_EQ(r.graph.nodes[0].op, "Relu");
  EXPECT_EQ(r.graph.inputs[0].dims, (Dims{-1, 2, 4, 4}));
  EXPECT_EQ(r.opset, 13);
}

TEST(OnnxImportTest, RejectsATruncatedFile) {
  if (!onnxio::available()) GTEST_SKIP() << "built without ONNX (libonnx-dev missing)";
  auto p = buildModel("lenet5_keras.pbtxt");
  std::string bytes = onnxio::exportModel(*p, initialValues(p, 1), {});
  expectError(bytes.substr(0, bytes.size() / 2), {"m.onnx", "not an ONNX model"});
  expectError("", {"not an ONNX model"});
}

TEST(OnnxImportTest, RejectsAnUnknownOpNamingNodeAndOpset) {
  if (!onnxio::available()) GTEST_SKIP() << "built without ONNX (libonnx-dev missing)";
  expectError(ser(tinyModel("Hardmax")), {"node 'n1' (Hardmax)", "unsupported op 'Hardmax'",
                                          "(opset 13)"});
  onnx::ModelProto m = tinyModel("Relu");
  m.mutable_graph()->mutable_node(0)->set_domain("com.example");
  expectError(ser(m), {"domain 'com.example'"});
}

TEST(OnnxImportTest, RejectsUnsupportedAttributes) {
  if (!onnxio::available()) GTEST_SKIP() << "built without ONNX (libonnx-dev missing)";
  onnx::ModelProto m = tinyModel("MaxPool");
  onnx::NodeProto* n = m.mutable_graph()->mutable_node(0);
  auto* k = n->add_attribute();
  k->set_name("kernel_shape");
  k->set_type(onnx::AttributeProto::INTS);
  k->add_ints(2);
  k->add_ints(2);
  auto* c = n->add_attribute();
  c->set_name("ceil_mode");
  c->set_type(onnx::AttributeProto::INT);
  c->set_i(1);
  expectError(ser(m), {"node 'n1' (MaxPool)", "attribute 'ceil_mode' = 1", "(opset 13)"});
  c->set_name("frobnicate");
  expectError(ser(m), {"attribute 'frobnicate' is not supported"});
}

TEST(OnnxImportTest, RejectsDynamicShapes) {
  if (!onnxio::available()) GTEST_SKIP() << "built without ONNX (libonnx-dev missing)";
  onnx::ModelProto m = tinyModel("Relu");
  m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()
      ->mutable_shape()->mutable_dim(2)->set_dim_param("H");
  expectError(ser(m), {"input 'x'", "dynamic dim 'H' at axis 2"});
  // A Reshape whose shape is computed at run time.
  onnx::ModelProto r = tinyModel("Relu");
  onnx::NodeProto* n = r.mutable_graph()->add_node();
  n->set_name("reshape");
  n->set_op_type("Reshape");
  n->add_input("x");
  n->add_input("y");
  n->add_output("z");
  r.mutable_graph()->mutable_output(0)->set_name("z");
  expectError(ser(r), {"node 'reshape' (Reshape)", "computed at run time"});
}

TEST(OnnxImportTest, RejectsAnOpsetTooNew) {
  if (!onnxio::available()) GTEST_SKIP() << "built without ONNX (libonnx-dev missing)";
  expectError(ser(tinyModel("Relu", 18)), {"opset 18 is not supported", "11 to 17"});
}

TEST(OnnxImportTest, RefusesExternalData) {
  if (!onnxio::available()) GTEST_SKIP() << "built without ONNX (libonnx-dev missing)";
  onnx::ModelProto m = tinyModel("Add");
  m.mutable_graph()->mutable_node(0)->add_input("w");
  onnx::TensorProto* w = m.mutable_graph()->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(4);
  w->set_data_location(onnx::TensorProto::EXTERNAL);
  auto* e = w->add_external_data();
  e->set_key("location");
  e->set_value("weights.bin");
  expectError(ser(m), {"tensor 'w'", "external file ('weights.bin')"});
}

// --- a hand-made model through both runtimes ----------------------------------

// Constant, Pad, AveragePool (count_include_pad), Conv (SAME_UPPER, stride
// 2), LeakyRelu, MaxPool, Identity (of a value and of an initializer),
// Flatten, Gemm (transB 0), Dropout (ratio input), Sub, Softmax.
onnx::ModelProto mixedModel() {
  onnx::ModelProto m = tinyModel("Constant");
  onnx::GraphProto* g = m.mutable_graph();
  auto* dims = g->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
  dims->mutable_dim(2)->set_dim_value(6);
  dims->mutable_dim(3)->set_dim_value(6);
  onnx::NodeProto* c = g->mutable_node(0);
  c->clear_input();
  c->set_output(0, "pads");
  auto* v = c->add_attribute();
  v->set_name("value");
  v->set_type(onnx::AttributeProto::TENSOR);
  v->mutable_t()->set_data_type(onnx::TensorProto::INT64);
  v->mutable_t()->add_dims(8);
  for (int64_t p : {0, 0, 1, 1, 0, 0, 1, 1}) v->mutable_t()->add_int64_data(p);
  onnx::TensorProto* cv = g->add_initializer();
  cv->set_name("pad_value");
  cv->set_data_type(onnx::TensorProto::FLOAT);
  cv->add_float_data(0.5f);
  onnx::TensorProto* ratio = g->add_initializer();
  ratio->set_name("ratio");
  ratio->set_data_type(onnx::TensorProto::FLOAT);
  ratio->add_float_data(0.2f);
  addInit(g, "w", {3, 2, 3, 3}, 1);
  addInit(g, "b", {3}, 2);
  addInit(g, "wg", {12, 5}, 3);
  addInit(g, "bg", {5}, 4);
  addInit(g, "k", {5}, 5);
  addNode(g, "Pad", {"x", "pads", "pad_value"}, "p");
  auto* a = addNode(g, "AveragePool", {"p"}, "a");
  intsAttr(a, "kernel_shape", {3, 3});
  intsAttr(a, "pads", {1, 1, 1, 1});
  intAttr(a, "count_include_pad", 1);
  auto* conv = addNode(g, "Conv", {"a", "w", "b"}, "c");
  auto* ap = conv->add_attribute();
  ap->set_name("auto_pad");
  ap->set_type(onnx::AttributeProto::STRING);
  ap->set_s("SAME_UPPER");
  intsAttr(conv, "strides", {2, 2});
  auto* l = addNode(g, "LeakyRelu", {"c"}, "l");
  auto* alpha = l->add_attribute();
  alpha->set_name("alpha");
  alpha->set_type(onnx::AttributeProto::FLOAT);
  alpha->set_f(0.1f);
  auto* mp = addNode(g, "MaxPool", {"l"}, "mp");
  intsAttr(mp, "kernel_shape", {2, 2});
  intsAttr(mp, "strides", {2, 2});
  addNode(g, "Identity", {"mp"}, "id");
  addNode(g, "Flatten", {"id"}, "f");
  addNode(g, "Gemm", {"f", "wg", "bg"}, "gemm");
  addNode(g, "Dropout", {"gemm", "ratio"}, "d");
  addNode(g, "Identity", {"k"}, "k2");
  addNode(g, "Sub", {"d", "k2"}, "s");
  addNode(g, "Softmax", {"s"}, "prob");
  g->mutable_output(0)->set_name("prob");
  auto* t = g->mutable_output(0)->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  t->mutable_shape()->add_dim()->set_dim_param("N");
  t->mutable_shape()->add_dim()->set_dim_value(5);
  return m;
}

TEST(OnnxImportTest, HandMadeOpsMatchOnnxRuntime) {
  if (!onnxio::available()) GTEST_SKIP() << "built without ONNX (libonnx-dev missing)";
  std::string bytes = ser(mixedModel());
  ASSERT_NO_THROW(onnxio::checkModel(bytes, "mixed.onnx"));
  onnxio::ImportResult r = importBytes(bytes);
  auto p = Program::build(r.graph, ops::registry());
  onnxio::ParamValues values;
  for (const auto& t : r.tensors) values[t.name] = t.data;
  EXPECT_EQ(r.tensors.size(), 5u);  // w, b, wg, bg and the Identity copy k2
  if (std::string why = ortMissing(); !why.empty()) GTEST_SKIP() << why;
  testing::ScratchDir dir("onnx_mixed");
  writeBytes(dir.path() + "/mixed.onnx", bytes);
  std::vector<float> x = randomInput(3 * 2 * 6 * 6, 8);
  expectNear(runTapeflow(p, values, x, 3), runOrt(dir.path(), dir.path() + "/mixed.onnx", x,
                                                  {3, 2, 6, 6}),
             1e-4f);
}

TEST(OnnxImportTest, TheFullCheckRunsShapeInference) {
  if (!onnxio::available()) GTEST_SKIP() << "built without ONNX (libonnx-dev missing)";
  onnx::ModelProto m = tinyModel("Relu");
  *m.mutable_graph()->mutable_output(0)->mutable_type() = m.graph().input(0).type();
  EXPECT_NO_THROW(onnxio::checkModel(ser(m), "ok.onnx"));
  // Relu keeps the input's shape: a declared [N, 2, 4, 3] contradicts it.
  m.mutable_graph()->mutable_output(0)->mutable_type()->mutable_tensor_type()
      ->mutable_shape()->mutable_dim(3)->set_dim_value(3);
  try {
    onnxio::checkModel(ser(m), "bad.onnx");
    ADD_FAILURE() << "no error";
  } catch (const ParseError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("bad.onnx: error: ONNX checker:"), std::string::npos) << what;
    EXPECT_NE(what.find("differ in dimension 3"), std::string::npos) << what;
  }
}

TEST(OnnxImportTest, AddsATrainingHead) {
  if (!onnxio::available()) GTEST_SKIP() << "built without ONNX (libonnx-dev missing)";
  auto p = buildModel("lenet5_keras.pbtxt");
  onnxio::ImportOptions o;
  o.addLoss = "softmax_cross_entropy";
  o.labelName = "digit";
  onnxio::ImportResult r = importBytes(onnxio::exportModel(*p, initialValues(p, 1), {}), o);
  auto q = Program::build(r.graph, ops::registry());
  ASSERT_GE(q->lossValue(), 0);
  EXPECT_EQ(q->value(q->lossValue()).name, "loss");
  ASSERT_GE(q->findValue("digit"), 0);
  EXPECT_EQ(q->value(q->findValue("digit")).dtype, DType::I32);
  // One training step: the loss is finite and the first conv gets a gradient.
  ParamStore store(q);
  store.initialize(1);
  PlanOptions opts;
  opts.batch = 2;
  Plan plan(q, store, opts);
  std::vector<float> x = randomInput(2 * 32 * 32, 3);
  std::copy(x.begin(), x.end(), static_cast<float*>(plan.inputMemory("image").get_data_handle()));
  int32_t* label = static_cast<int32_t*>(plan.inputMemory("digit").get_data_handle());
  label[0] = 3;
  label[1] = 7;
  plan.forward();
  plan.backward();
  EXPECT_TRUE(std::isfinite(plan.readScalar("loss")));
  float norm = 0;
  for (float g : plan.readGrad("conv1.w")) norm += g * g;
  EXPECT_GT(norm, 0.f);
  o.addLoss = "hinge";
  EXPECT_THROW(importBytes(onnxio::exportModel(*p, initialValues(p, 1), {}), o), UsageError);
}

}  // namespace
}  // namespace tapeflow
