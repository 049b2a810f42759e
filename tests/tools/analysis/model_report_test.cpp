// tests/tools/analysis/model_report_test.cpp - the whole-model gradient check
// with its defaults: every shipped graph passes for several seeds (ReLU and
// max-pool kinks included), and a deliberately wrong backward is caught.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "core/op_context.h"
#include "frontends/pbtxt/pbtxt_loader.h"
#include "ops/registry.h"
#include "tools/analysis/model_report.h"
#include "tests/support/tree_paths.h"

namespace tapeflow {
namespace {

std::vector<std::string> shippedGraphs() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(tapeflow::paths::sourceDir() +
                                                           "/models")) {
    std::string name = e.path().filename().string();
    if (e.path().extension() == ".pbtxt" && name.find(".solver.") == std::string::npos)
      out.push_back(e.path().string());
  }
  return out;
}

double worst(const std::vector<ParamGradCheck>& results, int* checked) {
  double w = 0;
  for (const auto& r : results) {
    w = std::max(w, r.worstRel);
    *checked += r.checked;
  }
  return w;
}

TEST(ModelGradCheckTest, EveryShippedGraphPassesWithDefaultsForSeveralSeeds) {
  std::vector<std::string> graphs = shippedGraphs();
  ASSERT_GE(graphs.size(), 6u);
  for (const char* name : {"lenet5_keras", "resnet_mnist", "mlp_regression", "autoencoder_mnist",
                           "inception_mnist"})
    EXPECT_TRUE(std::any_of(graphs.begin(), graphs.end(), [&](const std::string& g) {
      return g.ends_with(std::string("/") + name + ".pbtxt");
    })) << name;
  for (const std::string& file : graphs) {
    auto program = Program::build(loadGraphFile(file), ops::registry());
    for (uint64_t seed = 1; seed <= 5; ++seed) {
      ModelGradCheckOptions o;
      o.seed = seed;
      auto results = checkModelGradients(program, o);
      ASSERT_FALSE(results.empty());
      int checked = 0, params = 0;
      double w = worst(results, &checked);
      for (const auto& r : results) params += r.checked > 0;
      EXPECT_LE(w, o.tolerance) << file << " seed " << seed;
      // Most parameters are checked in at least one direction.
      EXPECT_GE(params * 4, int(results.size()) * 3) << file << " seed " << seed;
    }
  }
}

TEST(ModelGradCheckTest, KinksAreCrossedAndAccountedFor) {
  // The Keras network has ReLU and max pooling: at the default step most
  // directions cross a kink, and the check still passes.
  auto program = Program::build(
      loadGraphFile(tapeflow::paths::sourceDir() + "/models/lenet5_keras.pbtxt"),
      ops::registry());
  auto results = checkModelGradients(program, {});
  int kinked = 0, checked = 0;
  for (const auto& r : results) kinked += r.kinked;
  EXPECT_GT(kinked, 0);
  EXPECT_LE(worst(results, &checked), ModelGradCheckOptions{}.tolerance);
}

/// The registry with `op`'s backward replaced by the original followed by
/// a scaling of its input gradient: a plausible wrong backward.
struct WrongRegistry {
  OpRegistry registry;
  std::unique_ptr<OpDef> bad;
  WrongRegistry(const std::string& op, float scale) {
    const OpDef* good = ops::registry().find(op);
    bad = std::make_unique<OpDef>(*good);
    GradFn original = good->backwardFn();
    bad->backward([original, scale](GradContext& ctx) {
      original(ctx);
      dnnl::memory& g = ctx.gradInput(0);
      float* p = hostPtr<float>(g);
      size_t n = g.get_desc().get_size() / sizeof(float);
      for (size_t i = 0; i < n; ++i) p[i] *= scale;
    });
    for (const auto& [name, def] : ops::registry().all())
      registry.add(name == op ? *bad : *def);
  }
};

TEST(ModelGradCheckTest, CatchesAWrongBackward) {
  for (const char* op : {"Relu", "MaxPool"}) {
    WrongRegistry wrong(op, 1.1f);  // 10% off: five times the tolerance
    auto program = Program::build(
        loadGraphFile(tapeflow::paths::sourceDir() + "/models/lenet5_keras.pbtxt"),
        wrong.registry);
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      ModelGradCheckOptions o;
      o.seed = seed;
      int checked = 0;
      EXPECT_GT(worst(checkModelGradients(program, o), &checked), o.tolerance)
          << op << " seed " << seed;
    }
  }
  WrongRegistry wrong("ScaledTanh", 0.9f);
  auto program = Program::build(
      loadGraphFile(tapeflow::paths::sourceDir() + "/models/lenet5.pbtxt"),
      wrong.registry);
  int checked = 0;
  EXPECT_GT(worst(checkModelGradients(program, {}), &checked), 2e-2);
}

}  // namespace
}  // namespace tapeflow
