// tests/tools/cmd_onnx_test.cpp - `tapeflow export` and `tapeflow import` as
// users run them: export -> import (with checkpoint) -> export gives the same
// file byte for byte, `eval` of the imported model matches the original, the
// checkpoint's input transforms become metadata, inputs are never
// overwritten, bad files and ops without an ONNX form end in one line with
// exit code 2, and a graph with a LayerNorm is written at opset 17.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <onnx/onnx_pb.h>

#include "../support/onnx_support.h"
#include "../support/scratch_dir.h"
#include "train/checkpoint.h"
#include "train/solver.h"
#include "train/trainer.h"
#include "tests/support/tree_paths.h"

namespace tapeflow {
namespace {

using namespace onnxtest;

struct CliRun {
  int code = -1;
  std::string out, err;
};

CliRun tapeflow(const std::string& dir, const std::string& args) {
  std::string cmd = "'" + tapeflow::paths::cliPath() + "' " + args + " > '" + dir +
                    "/out.txt' 2> '" + dir + "/err.txt'";
  int status = std::system(cmd.c_str());
  CliRun r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = readBytes(dir + "/out.txt");
  r.err = readBytes(dir + "/err.txt");
  return r;
}

std::string keras() { return tapeflow::paths::sourceDir() + "/models/lenet5_keras.pbtxt"; }

/// A checkpoint of lenet5_keras holding its seed-1 weights and `solverText`.
void writeKerasCheckpoint(const std::string& path, const std::string& solverText) {
  auto p = buildModel("lenet5_keras.pbtxt");
  CheckpointData ck;
  ck.modelName = p->graph().name;
  ck.modelFingerprint = modelFingerprint(*p);
  ck.solverText = solverText;
  for (const auto& [name, data] : initialValues(p, 1)) {
    Dims dims;
    for (const ParamDef& d : p->graph().params)
      if (d.name == name) dims = d.dims;
    ck.params.push_back({name, dims, data});
  }
  writeCheckpoint(path, ck);
}

void writeBE32(std::ofstream& f, uint32_t v) {
  unsigned char b[4] = {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
  f.write(reinterpret_cast<char*>(b), 4);
}

/// A 12-image MNIST-style test split (28x28) in `dir`.
void writeTestSplit(const std::string& dir) {
  Rng rng(9);
  std::ofstream img(dir + "/t10k-images-idx3-ubyte", std::ios::binary);
  std::ofstream lab(dir + "/t10k-labels-idx1-ubyte", std::ios::binary);
  for (uint32_t v : {2051u, 12u, 28u, 28u}) writeBE32(img, v);
  for (uint32_t v : {2049u, 12u}) writeBE32(lab, v);
  for (int i = 0; i < 12; ++i) {
    lab.put(char(i % 10));
    for (int k = 0; k < 28 * 28; ++k) img.put(char(uint8_t(rng.next() % 256)));
  }
}

class CmdOnnxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!onnxio::available()) GTEST_SKIP() << "built without ONNX (libonnx-dev missing)";
  }
  testing::ScratchDir dir_{"cmd_onnx"};
  std::string at(const std::string& f) const { return dir_.path() + "/" + f; }
};

TEST_F(CmdOnnxTest, ExportImportExportGivesTheSameFile) {
  CliRun a = tapeflow(dir_.path(), "export --model '" + keras() + "' -o '" + at("a.onnx") + "'");
  ASSERT_EQ(a.code, 0) << a.err;
  CliRun b = tapeflow(dir_.path(), "import '" + at("a.onnx") + "' -o '" + at("b.pbtxt") +
                                    "' --checkpoint-out '" + at("b.tfck") +
                                    "' --add-loss softmax_cross_entropy --label-name label");
  ASSERT_EQ(b.code, 0) << b.err;
  CliRun c = tapeflow(dir_.path(), "export --model '" + at("b.pbtxt") + "' --checkpoint '" +
                                    at("b.tfck") + "' -o '" + at("c.onnx") + "'");
  ASSERT_EQ(c.code, 0) << c.err;
  std::string first = readBytes(at("a.onnx")), second = readBytes(at("c.onnx"));
  EXPECT_GT(first.size(), 6000000u);  // 1.6 M float weights
  EXPECT_TRUE(first == second) << "re-exported file differs";
  EXPECT_NO_THROW(onnxio::checkModel(second, "c.onnx"));
}

TEST_F(CmdOnnxTest, EvalOfTheImportedModelMatchesTheOriginal) {
  writeTestSplit(dir_.path());
  writeKerasCheckpoint(at("orig.tfck"), "");
  CliRun e = tapeflow(dir_.path(), "export --model '" + keras() + "' --checkpoint '" +
                                    at("orig.tfck") + "' -o '" + at("a.onnx") + "'");
  ASSERT_EQ(e.code, 0) << e.err;
  CliRun i = tapeflow(dir_.path(), "import '" + at("a.onnx") + "' -o '" + at("b.pbtxt") +
                                    "' --checkpoint-out '" + at("b.tfck") +
                                    "' --add-loss softmax_cross_entropy");
  ASSERT_EQ(i.code, 0) << i.err;
  CliRun orig = tapeflow(dir_.path(), "eval --model '" + keras() + "' --checkpoint '" +
                                       at("orig.tfck") + "' --data '" + dir_.path() + "'");
  CliRun imp = tapeflow(dir_.path(), "eval --model '" + at("b.pbtxt") + "' --checkpoint '" +
                                      at("b.tfck") + "' --data '" + dir_.path() + "'");
  ASSERT_EQ(orig.code, 0) << orig.err;
  ASSERT_EQ(imp.code, 0) << imp.err;
  auto firstLine = [](const std::string& s) { return s.substr(0, s.find('\n')); };
  EXPECT_NE(firstLine(orig.out).find("test accuracy"), std::string::npos) << orig.out;
  EXPECT_EQ(firstLine(orig.out), firstLine(imp.out));  // accuracy and loss
}

TEST_F(CmdOnnxTest, RecordsTheCheckpointInputTransformsAsMetadata) {
  SolverConfig s;
  s.padTo = 32;
  s.normalize = "standard";
  s.mean = 0.5f;
  s.stddev = 0.25f;
  writeKerasCheckpoint(at("k.tfck"), solverToText(s));
  CliRun e = tapeflow(dir_.path(), "export --model '" + keras() + "' --checkpoint '" +
                                    at("k.tfck") + "' -o '" + at("k.onnx") + "'");
  ASSERT_EQ(e.code, 0) << e.err;
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(readBytes(at("k.onnx"))));
  std::map<std::string, std::string> meta;
  for (const auto& kv : m.metadata_props()) meta[kv.key()] = kv.value();
  EXPECT_EQ(meta["tapeflow.pad_to"], "32");
  EXPECT_EQ(meta["tapeflow.normalize"], "standard");
  EXPECT_EQ(meta["tapeflow.mean"], "0.5");
  EXPECT_EQ(meta["tapeflow.stddev"], "0.25");
  EXPECT_EQ(m.producer_name(), "tapeflow");
  EXPECT_FALSE(m.producer_version().empty());
  ASSERT_EQ(m.opset_import_size(), 1);
  EXPECT_EQ(m.opset_import(0).version(), 13);
  EXPECT_EQ(m.graph().input(0).type().tensor_type().shape().dim(0).dim_param(), "N");
}

TEST_F(CmdOnnxTest, RefusesToWriteOverAnInput) {
  writeBytes(at("m.pbtxt"), readBytes(keras()));
  CliRun e = tapeflow(dir_.path(), "export --model '" + at("m.pbtxt") + "' -o '" + at("m.pbtxt") + "'");
  EXPECT_EQ(e.code, 2);
  EXPECT_NE(e.err.find("refusing to write over the input file"), std::string::npos) << e.err;
  EXPECT_EQ(readBytes(at("m.pbtxt")), readBytes(keras()));
  ASSERT_EQ(tapeflow(dir_.path(), "export --model '" + keras() + "' -o '" + at("a.onnx") + "'").code, 0);
  std::string before = readBytes(at("a.onnx"));
  CliRun i = tapeflow(dir_.path(), "import '" + at("a.onnx") + "' -o '" + at("a.onnx") + "'");
  EXPECT_EQ(i.code, 2);
  EXPECT_TRUE(readBytes(at("a.onnx")) == before);
}

TEST_F(CmdOnnxTest, BadFilesEndInOneLineAndExitCode2) {
  ASSERT_EQ(tapeflow(dir_.path(), "export --model '" + keras() + "' -o '" + at("a.onnx") + "'").code, 0);
  std::string bytes = readBytes(at("a.onnx"));
  writeBytes(at("cut.onnx"), bytes.substr(0, bytes.size() - 1000));
  writeBytes(at("text.onnx"), "this is not a model\n");
  for (const char* f : {"cut.onnx", "text.onnx"}) {
    CliRun r = tapeflow(dir_.path(), "import '" + at(f) + "' -o '" + at("x.pbtxt") + "'");
    EXPECT_EQ(r.code, 2) << f;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(f), std::string::npos) << r.err;
  }
  CliRun missing = tapeflow(dir_.path(), "import '" + at("none.onnx") + "' -o '" + at("x.pbtxt") + "'");
  EXPECT_EQ(missing.code, 3) << missing.err;
}

TEST_F(CmdOnnxTest, WritesOpset17ForALayerNormAndRefusesGeluInOneLine) {
  const std::string head = R"(format_version: 1
input { name: "x" dtype: F32 shape: [-1, 6] }
param { name: "s" shape: [6] init { kind: "ones" } }
)";
  writeBytes(at("ln.pbtxt"), head + R"(node { name: "ln" op: "LayerNorm" input: ["x", "s"] output: "y" }
output: "y"
prediction: "y"
)");
  CliRun ok = tapeflow(dir_.path(), "export --model '" + at("ln.pbtxt") + "' -o '" + at("ln.onnx") + "'");
  ASSERT_EQ(ok.code, 0) << ok.err;
  EXPECT_NE(ok.out.find("ONNX opset 17"), std::string::npos) << ok.out;
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(readBytes(at("ln.onnx"))));
  ASSERT_EQ(m.opset_import_size(), 1);
  EXPECT_EQ(m.opset_import(0).version(), 17);
  EXPECT_EQ(m.graph().node(0).op_type(), "LayerNormalization");

  writeBytes(at("gelu.pbtxt"), head + R"(node { name: "act" op: "Gelu" input: "x" output: "y" }
output: "y"
prediction: "y"
)");
  CliRun bad = tapeflow(dir_.path(), "export --model '" + at("gelu.pbtxt") + "' -o '" + at("gelu.onnx") + "'");
  EXPECT_EQ(bad.code, 2);
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
  EXPECT_NE(bad.err.find("gelu.pbtxt:4:1: error: node 'act' (Gelu): op Gelu has no ONNX export"),
            std::string::npos) << bad.err;
  EXPECT_FALSE(std::filesystem::exists(at("gelu.onnx")));
}

}  // namespace
}  // namespace tapeflow
