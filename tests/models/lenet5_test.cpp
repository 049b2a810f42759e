// tests/models/lenet5_test.cpp - the shipped LeNet-5 files load, shape-check,
// run forward and backward on a random batch, and `summary` reports the
// parameter counts of the paper and of the Keras model.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/param_store.h"
#include "core/plan.h"
#include "tools/analysis/model_report.h"
#include "frontends/pbtxt/pbtxt_loader.h"
#include "ops/registry.h"
#include "tests/support/tree_paths.h"

namespace tapeflow {
namespace {

std::shared_ptr<const Program> load(const std::string& name) {
  return Program::build(loadGraphFile(tapeflow::paths::sourceDir() + "/models/" + name),
                        ops::registry());
}

int64_t paramsOf(const Program& p, const std::string& node) {
  auto per = paramsPerNode(p);
  for (int n = 0; n < p.numNodes(); ++n)
    if (p.graph().nodes[n].name == node) return per[n];
  ADD_FAILURE() << "no node " << node;
  return -1;
}

// Runs one training step on random data; returns the loss and checks every
// trainable parameter received a finite gradient, most of them non-zero.
float trainStep(std::shared_ptr<const Program> p, int64_t batch) {
  ParamStore store(p);
  store.initialize(7);
  PlanOptions opts;
  opts.batch = batch;
  Plan plan(p, store, opts);
  Rng rng(3);
  float* x = static_cast<float*>(plan.inputMemory("image").get_data_handle());
  for (int64_t i = 0; i < batch * 32 * 32; ++i) x[i] = rng.uniform();
  int32_t* y = static_cast<int32_t*>(plan.inputMemory("label").get_data_handle());
  for (int64_t i = 0; i < batch; ++i) y[i] = int32_t(rng.next() % 10);
  plan.forward();
  plan.backward();
  for (int k = 0; k < store.numParams(); ++k) {
    if (!store.def(k).trainable) continue;
    int64_t nonzero = 0;
    for (int64_t i = 0; i < store.size(k); ++i) {
      EXPECT_TRUE(std::isfinite(store.gradData(k)[i])) << store.def(k).name;
      nonzero += store.gradData(k)[i] != 0.f;
    }
    EXPECT_GT(nonzero, 0) << "no gradient reached " << store.def(k).name;
  }
  float acc = plan.readScalar("accuracy");
  EXPECT_GE(acc, 0.f);
  EXPECT_LE(acc, 1.f);
  return plan.readScalar("loss");
}

TEST(LeNet5KerasTest, SummaryShowsKerasParameterCounts) {
  auto p = load("lenet5_keras.pbtxt");
  EXPECT_EQ(paramsOf(*p, "conv1"), 520);
  EXPECT_EQ(paramsOf(*p, "conv2"), 25050);
  EXPECT_EQ(paramsOf(*p, "dense1"), 1600500);
  EXPECT_EQ(paramsOf(*p, "dense2"), 5010);
  EXPECT_EQ(countParams(*p).total, 1631080);
  std::string table = summaryTable(*p);
  for (const char* s : {"520", "25,050", "1,600,500", "5,010", "Total params: 1,631,080",
                        "[N,20,32,32]", "[N,50,8,8]", "[N,3200]", "[N,10]"})
    EXPECT_NE(table.find(s), std::string::npos) << s << "\n" << table;
}

TEST(LeNet5KerasTest, ForwardAndBackwardOnRandomBatch) {
  float loss = trainStep(load("lenet5_keras.pbtxt"), 4);
  EXPECT_TRUE(std::isfinite(loss));
  EXPECT_GT(loss, 0.5f);  // ten classes at random init: about ln 10
  EXPECT_LT(loss, 5.f);
}

TEST(LeNet5Test, SummaryShowsPaperParameterCounts) {
  auto p = load("lenet5.pbtxt");
  EXPECT_EQ(countParams(*p).trainable, 61750);
  EXPECT_EQ(paramsOf(*p, "c1"), 156);
  EXPECT_EQ(paramsOf(*p, "c3"), 2416);
  EXPECT_EQ(paramsOf(*p, "c5"), 48120);
  EXPECT_EQ(paramsOf(*p, "f6"), 10164);
  EXPECT_EQ(paramsOf(*p, "out"), 850);
  std::string table = summaryTable(*p);
  EXPECT_NE(table.find("Trainable params: 61,750"), std::string::npos) << table;
  EXPECT_NE(table.find("[N,16,5,5]"), std::string::npos) << table;
  EXPECT_NE(table.find("[N,120,1,1]"), std::string::npos) << table;
}

TEST(LeNet5Test, ForwardAndBackwardOnRandomBatch) {
  float loss = trainStep(load("lenet5.pbtxt"), 3);
  EXPECT_TRUE(std::isfinite(loss));
  EXPECT_GT(loss, 0.5f);
}

TEST(LeNet5Test, PartialConnectionTableMasksC3) {
  auto p = load("lenet5_c3table.pbtxt");
  // The mask is a constant: not trainable, 96 values of which 60 are ones.
  const Graph& g = p->graph();
  for (const ParamDef& d : g.params)
    if (d.name == "c3.mask") {
      EXPECT_FALSE(d.trainable);
      int ones = 0;
      for (float v : d.data) ones += v == 1.f;
      EXPECT_EQ(ones, 60);
    }
  ParamStore store(p);
  store.initialize(7);
  PlanOptions opts;
  opts.batch = 2;
  Plan plan(p, store, opts);
  plan.forward();
  plan.backward();
  // Masked weights receive exactly zero gradient.
  int w = -1, m = -1;
  for (int k = 0; k < store.numParams(); ++k) {
    if (store.def(k).name == "c3.w") w = k;
    if (store.def(k).name == "c3.mask") m = k;
  }
  ASSERT_GE(w, 0);
  ASSERT_GE(m, 0);
  for (int o = 0; o < 16; ++o)
    for (int i = 0; i < 6; ++i)
      for (int k = 0; k < 25; ++k) {
        float g = store.gradData(w)[(o * 6 + i) * 25 + k];
        if (store.data(m)[o * 6 + i] == 0.f) {
          EXPECT_EQ(g, 0.f);
        }
      }
}

TEST(LeNet5Test, WholeModelGradientsMatchFiniteDifferences) {
  // NOTE: the check's defaults account for ReLU and max-pool kinks.
  for (const char* file : {"lenet5.pbtxt", "lenet5_keras.pbtxt"}) {
    ModelGradCheckOptions o;
    auto results = checkModelGradients(load(file), o);
    ASSERT_FALSE(results.empty());
    int resolved = 0;
    for (const auto& r : results) {
      resolved += r.checked > 0;
      EXPECT_LE(r.worstRel, 2e-2) << file << " " << r.param;
    }
    // At random init the sigmoid network's early gradients can fall below
    // what f32 finite differences resolve; most parameters must be checked.
    EXPECT_GE(resolved * 2, int(results.size())) << file;
  }
}

}  // namespace
}  // namespace tapeflow
