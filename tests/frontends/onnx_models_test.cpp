// tests/frontends/onnx_models_test.cpp - every shipped graph in models/
// (solver files aside) exports: the file passes the full ONNX checker, ONNX
// Runtime gives tapeflow's prediction within 1e-4 on the same random
// inputs, and export -> import -> export gives the same bytes with
// bit-identical weights.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "../support/onnx_support.h"
#include "../support/scratch_dir.h"
#include "tests/support/tree_paths.h"

namespace tapeflow {
namespace {

using namespace onnxtest;

constexpr int64_t kBatch = 2;

std::vector<std::string> shippedGraphs() {
  std::vector<std::string> out;
  for (const auto& e :
       std::filesystem::directory_iterator(tapeflow::paths::sourceDir() + "/models")) {
    std::string name = e.path().filename().string();
    if (e.path().extension() == ".pbtxt" && name.find(".solver.") == std::string::npos)
      out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(OnnxModelsTest, EveryShippedGraphExportsAndRunsInOnnxRuntime) {
  if (!onnxio::available()) GTEST_SKIP() << "built without ONNX (libonnx-dev missing)";
  const std::vector<std::string> graphs = shippedGraphs();
  ASSERT_GE(graphs.size(), 7u);
  for (const char* name : {"resnet_mnist.pbtxt", "autoencoder_mnist.pbtxt",
                           "mlp_regression.pbtxt", "vgg_cifar.pbtxt",
                           "inception_mnist.pbtxt"})
    EXPECT_NE(std::find(graphs.begin(), graphs.end(), name), graphs.end()) << name;
  const std::string ortWhy = ortMissing();
  testing::ScratchDir dir("onnx_models");
  for (const std::string& file : graphs) {
    SCOPED_TRACE(file);
    auto p = buildModel(file);
    const auto values = initialValues(p, 1);
    std::string bytes;
    ASSERT_NO_THROW(bytes = onnxio::exportModel(*p, values, {"0.1.0", {}}));
    EXPECT_NO_THROW(onnxio::checkModel(bytes, file));

    // Round trip: the same file again, the same weights bit for bit.
    onnxio::ImportResult r = onnxio::importModel(bytes, file + ".onnx", {});
    auto imported = Program::build(r.graph, ops::registry());
    onnxio::ParamValues back;
    for (const auto& t : r.tensors) back[t.name] = t.data;
    EXPECT_TRUE(onnxio::exportModel(*imported, back, {"0.1.0", {}}) == bytes)
        << "the re-exported model differs";
    expectSameWeights(values, r);

    std::vector<int64_t> dims = p->graph().inputs.at(0).dims;
    dims.at(0) = kBatch;
    size_t n = 1;
    for (int64_t d : dims) n *= size_t(d);
    std::vector<float> x = randomInput(n, 21);
    std::vector<float> ours = runTapeflow(p, values, x, kBatch);
    float largest = 0;
    for (float v : ours) largest = std::max(largest, std::abs(v));
    EXPECT_GT(largest, 1e-3f) << "outputs all near zero: the comparison would prove nothing";
    expectNear(ours, runTapeflow(imported, back, x, kBatch), 1e-5f);
    if (!ortWhy.empty()) continue;
    const std::string path = dir.path() + "/" + file + ".onnx";
    writeBytes(path, bytes);
    expectNear(ours, runOrt(dir.path(), path, x, dims), 1e-4f);
  }
  if (!ortWhy.empty()) GTEST_SKIP() << "ONNX Runtime part skipped: " << ortWhy;
}

}  // namespace
}  // namespace tapeflow
