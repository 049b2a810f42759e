// tests/support/onnx_support.h - shared by the ONNX tests: run a graph in
// tapeflow, run an exported file in ONNX Runtime (Node), small file helpers.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/param_store.h"
#include "core/plan.h"
#include "frontends/onnx/onnx_io.h"
#include "frontends/pbtxt/pbtxt_loader.h"
#include "ops/registry.h"
#include "tests/support/tree_paths.h"

namespace tapeflow::onnxtest {

inline std::shared_ptr<const Program> buildText(const std::string& text) {
  return Program::build(parseGraphText(text, "test.pbtxt"), ops::registry());
}

inline std::shared_ptr<const Program> buildModel(const std::string& file) {
  return Program::build(loadGraphFile(tapeflow::paths::sourceDir() + "/models/" + file),
                        ops::registry());
}

/// Every param's values after initialize(seed).
inline onnxio::ParamValues initialValues(std::shared_ptr<const Program> p, uint64_t seed) {
  ParamStore store(p);
  store.initialize(seed);
  onnxio::ParamValues v;
  for (int k = 0; k < store.numParams(); ++k)
    v[store.def(k).name].assign(store.data(k), store.data(k) + store.size(k));
  return v;
}

/// Uniform [-1, 1) inputs, fixed seed.
inline std::vector<float> randomInput(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> x(n);
  for (float& v : x) v = 2.f * rng.uniform() - 1.f;
  return x;
}

/// The prediction of `p` with param `values` on input `x` (first graph input;
/// an i32 input gets the values of `x` as integers).
inline std::vector<float> runTapeflow(std::shared_ptr<const Program> p,
                                      const onnxio::ParamValues& values,
                                      const std::vector<float>& x, int64_t batch) {
  ParamStore store(p);
  store.initialize(1);
  for (int k = 0; k < store.numParams(); ++k) {
    const auto& v = values.at(store.def(k).name);
    std::copy(v.begin(), v.end(), store.data(k));
  }
  PlanOptions o;
  o.mode = Mode::Inference;
  o.batch = batch;
  o.outputs = {p->value(p->predictionValue()).name};
  Plan plan(p, store, o);
  const InputDef& in = p->graph().inputs.at(0);
  void* data = plan.inputMemory(in.name).get_data_handle();
  if (in.dtype == DType::I32)
    std::transform(x.begin(), x.end(), static_cast<int32_t*>(data),
                   [](float v) { return int32_t(v); });
  else
    std::copy(x.begin(), x.end(), static_cast<float*>(data));
  plan.forward();
  return plan.readValue(p->predictionValue());
}

inline void writeBytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), std::streamsize(bytes.size()));
  ASSERT_TRUE(f.good()) << path;
}

inline std::string readBytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

/// Where tests/onnx/install-ort.sh puts onnxruntime-node.
inline std::string ortModules() { return tapeflow::paths::binaryDir() + "/ort/node_modules"; }

/// Empty when ONNX Runtime can run; otherwise why not.
inline std::string ortMissing() {
  if (std::system("node --version > /dev/null 2>&1") != 0) return "node is not on the PATH";
  if (!std::filesystem::exists(ortModules() + "/onnxruntime-node/package.json"))
    return "onnxruntime-node is not installed in " + ortModules() +
           " (run tests/onnx/install-ort.sh " + tapeflow::paths::binaryDir() + "/ort)";
  return "";
}

/// Runs `model` in ONNX Runtime on `x` with `dims` (as int32 when `ints`);
/// the first output's values.
inline std::vector<float> runOrt(const std::string& dir, const std::string& model,
                                 const std::vector<float>& x, const std::vector<int64_t>& dims,
                                 bool ints = false) {
  std::string in = dir + "/input.bin", out = dir + "/ort_out.txt";
  std::vector<int32_t> asInts(x.begin(), x.end());
  writeBytes(in, ints ? std::string(reinterpret_cast<const char*>(asInts.data()), x.size() * 4)
                      : std::string(reinterpret_cast<const char*>(x.data()), x.size() * 4));
  std::string shape;
  for (int64_t d : dims) shape += (shape.empty() ? "" : ",") + std::to_string(d);
  std::string cmd = "NODE_PATH='" + ortModules() + "' node '" + tapeflow::paths::sourceDir() +
                    "/tests/onnx/run_ort.js' '" + model + "' '" + in + "' " + shape +
                    (ints ? " int32" : "") + " > '" + out + "'";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::vector<float> y;
  std::ifstream f(out);
  for (float v; f >> v;) y.push_back(v);
  return y;
}

inline void expectNear(const std::vector<float>& a, const std::vector<float>& b, float tol) {
  ASSERT_EQ(a.size(), b.size());
  float worst = 0;
  for (size_t k = 0; k < a.size(); ++k) worst = std::max(worst, std::abs(a[k] - b[k]));
  EXPECT_LE(worst, tol) << "worst |difference| over " << a.size() << " values";
}

/// Every imported tensor holds exactly the bits of the exported param; the
/// others are constants the export made (ScaledTanh's factors).
inline void expectSameWeights(const onnxio::ParamValues& exported, const onnxio::ImportResult& r) {
  int compared = 0;
  for (const auto& t : r.tensors) {
    auto it = exported.find(t.name);
    if (it == exported.end()) {
      EXPECT_FALSE(t.trainable) << "imported tensor '" << t.name << "' was not exported";
      continue;
    }
    ++compared;
    EXPECT_TRUE(it->second.size() == t.data.size() &&
                std::memcmp(it->second.data(), t.data.data(), t.data.size() * 4) == 0)
        << "weights of '" << t.name << "' differ";
  }
  EXPECT_GT(compared, 0) << "no weight was compared";
}

}  // namespace tapeflow::onnxtest
