// tests/train/optimizer_test.cpp - SGD, momentum, Nesterov, Adam, AdamW,
// weight decay and gradient clipping against values worked out by hand.
#include "train/optimizer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <span>
#include <vector>

#include "core/param_store.h"
#include "core/program.h"
#include "frontends/pbtxt/pbtxt_loader.h"
#include "ops/registry.h"

namespace tapeflow {
namespace {

// w: the trainable param of 3 values; k: a constant; u: a second trainable
// param (for the global norm).
const char* kGraph = R"(
format_version: 1
name: "opt"
param { name: "w" shape: [3] data: [1, -2, 0.5] }
param { name: "k" shape: [3] constant: true data: [4, 5, 6] }
param { name: "u" shape: [3] data: [0, 0, 0] }
node { name: "a" op: "Add" input: ["w", "k"] output: "y" }
node { name: "b" op: "Add" input: ["y", "u"] output: "z" }
output: "z"
)";

constexpr int kW = 0, kK = 1, kU = 2;

struct Fixture {
  std::shared_ptr<const Program> program;
  std::unique_ptr<ParamStore> store;
  Fixture() {
    program =
        Program::build(parseGraphText(kGraph, "opt.pbtxt"), ops::registry());
    store = std::make_unique<ParamStore>(program);
    store->initialize(0);
  }
  std::vector<float> get(int p) {
    return {store->data(p), store->data(p) + store->size(p)};
  }
  void setGrad(int p, std::vector<float> g) {
    std::copy(g.begin(), g.end(), store->gradData(p));
  }
};

std::vector<float> asVector(std::span<const float> s) {
  return {s.begin(), s.end()};
}

void expectNear(const std::vector<float>& got, const std::vector<double>& want,
                double tol = 1e-6) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tol * std::max(1.0, std::fabs(want[i])))
        << "element " << i;
}

SolverConfig config(const char* optimizer, float lr, float momentum = 0.f) {
  SolverConfig c;
  c.optimizer = optimizer;
  c.lr = lr;
  c.momentum = momentum;
  return c;
}

// All tests: w = [1, -2, 0.5], g = [0.5, 1, -2], lr = 0.1.
const std::vector<float> kG = {0.5f, 1.f, -2.f};

TEST(OptimizerTest, PlainSgdSubtractsLrTimesGradient) {
  Fixture f;
  auto opt = Optimizer::create(config("sgd", 0.1f, 0.f), *f.store);
  EXPECT_TRUE(opt->state().empty()) << "no momentum, no state";
  f.setGrad(kW, kG);
  opt->step(0.1f);
  // w - 0.1*g = [1-0.05, -2-0.1, 0.5+0.2]
  expectNear(f.get(kW), {0.95, -2.1, 0.7});
  opt->step(0.1f);
  expectNear(f.get(kW), {0.9, -2.2, 0.9});
  EXPECT_EQ(opt->steps(), 2);
}

TEST(OptimizerTest, SgdMomentumAccumulatesTheBuffer) {
  Fixture f;
  auto opt = Optimizer::create(config("sgd", 0.1f, 0.9f), *f.store);
  f.setGrad(kW, kG);
  opt->step(0.1f);
  // step 1: buf = g = [0.5, 1, -2]; w = w - 0.1*buf = [0.95, -2.1, 0.7]
  expectNear(f.get(kW), {0.95, -2.1, 0.7});
  opt->step(0.1f);
  // step 2: buf = 0.9*g + g = [0.95, 1.9, -3.8];
  //         w = [0.95-0.095, -2.1-0.19, 0.7+0.38]
  expectNear(f.get(kW), {0.855, -2.29, 1.08});
  auto state = opt->state();
  ASSERT_EQ(state.size(), 2u) << "w and u, not the constant k";
  EXPECT_EQ(state[0].first, "w/momentum");
  EXPECT_EQ(state[1].first, "u/momentum");
  expectNear(asVector(state[0].second), {0.95, 1.9, -3.8});
}

TEST(OptimizerTest, NesterovLooksAhead) {
  Fixture f;
  SolverConfig c = config("sgd", 0.1f, 0.9f);
  c.nesterov = true;
  auto opt = Optimizer::create(c, *f.store);
  f.setGrad(kW, kG);
  opt->step(0.1f);
  // step 1: buf = g; update = g + 0.9*buf = 1.9*g = [0.95, 1.9, -3.8]
  //         w = [1-0.095, -2-0.19, 0.5+0.38]
  expectNear(f.get(kW), {0.905, -2.19, 0.88});
  opt->step(0.1f);
  // step 2: buf = 1.9*g; update = g + 0.9*1.9*g = 2.71*g = [1.355, 2.71, -5.42]
  //         w = [0.905-0.1355, -2.19-0.271, 0.88+0.542]
  expectNear(f.get(kW), {0.7695, -2.461, 1.422});
}

TEST(OptimizerTest, SgdWeightDecayAddsL2ToTheGradient) {
  Fixture f;
  SolverConfig c = config("sgd", 0.1f, 0.9f);
  c.weightDecay = 0.01f;
  auto opt = Optimizer::create(c, *f.store);
  f.setGrad(kW, kG);
  opt->step(0.1f);
  // step 1: d = g + 0.01*w = [0.51, 0.98, -1.995]; buf = d
  //         w = [1-0.051, -2-0.098, 0.5+0.1995]
  expectNear(f.get(kW), {0.949, -2.098, 0.6995});
  opt->step(0.1f);
  // step 2: d = g + 0.01*w = [0.50949, 0.97902, -1.993005]
  //         buf = 0.9*[0.51, 0.98, -1.995] + d = [0.96849, 1.86102, -3.788505]
  //         w = [0.949-0.096849, -2.098-0.186102, 0.6995+0.3788505]
  expectNear(f.get(kW), {0.852151, -2.284102, 1.0783505});
  // The gradient buffer itself is not modified.
  EXPECT_EQ(
      std::vector<float>(f.store->gradData(kW), f.store->gradData(kW) + 3), kG);
}

TEST(OptimizerTest, AdamCorrectsBias) {
  Fixture f;
  auto opt = Optimizer::create(config("adam", 0.1f), *f.store);
  f.setGrad(kW, kG);
  opt->step(0.1f);
  // step 1: m = 0.1*g, v = 0.001*g^2; bias corrections 0.1 and 0.001 give
  // m^ = g, v^ = g^2, so w -= 0.1 * g / (|g| + 1e-8) = 0.1 * sign(g).
  expectNear(f.get(kW), {0.9, -2.1, 0.6});
  auto state = opt->state();
  ASSERT_EQ(state.size(), 4u);
  EXPECT_EQ(state[0].first, "w/m");
  EXPECT_EQ(state[1].first, "w/v");
  EXPECT_EQ(state[2].first, "u/m");
  expectNear(asVector(state[0].second), {0.05, 0.1, -0.2});
  expectNear(asVector(state[1].second), {0.00025, 0.001, 0.004});

  f.setGrad(kW, {1.f, 1.f, 1.f});
  opt->step(0.1f);
  // step 2, g2 = [1, 1, 1]:
  //   m = 0.9*m + 0.1*g2 = [0.145, 0.19, -0.08]
  //   v = 0.999*v + 0.001*g2^2 = [0.00124975, 0.001999, 0.004996]
  //   w -= 0.1 * (m / (1 - 0.9^2)) / (sqrt(v / (1 - 0.999^2)) + 1e-8)
  //   element 0: 0.1 * (0.145/0.19) / sqrt(0.00124975/0.001999)
  //            = 0.1 * 0.763158 / 0.790688 = 0.096518 -> 0.9 - 0.096518
  expectNear(asVector(state[0].second), {0.145, 0.19, -0.08});
  expectNear(asVector(state[1].second), {0.00124975, 0.001999, 0.004996});
  expectNear(f.get(kW), {0.8034818006, -2.1999999980, 0.6266337033});
  EXPECT_EQ(opt->steps(), 2);
}

TEST(OptimizerTest, AdamWeightDecayIsL2) {
  Fixture f;
  SolverConfig c = config("adam", 0.1f);
  c.weightDecay = 0.1f;
  auto opt = Optimizer::create(c, *f.store);
  f.setGrad(kW, kG);
  opt->step(0.1f);
  // step 1: d = g + 0.1*w = [0.6, 0.8, -1.95]: w -= 0.1*sign(d)
  expectNear(f.get(kW), {0.9, -2.1, 0.6});
  opt->step(0.1f);
  // step 2: d2 = g + 0.1*w = [0.59, 0.79, -1.94]
  //   m = 0.09*d1 + 0.1*d2, v = 0.000999*d1^2 + 0.001*d2^2,
  //   w -= 0.1 * (m / 0.19) / (sqrt(v / 0.001999) + 1e-8)
  //   element 0: m = 0.054 + 0.059 = 0.113, v = 0.00035964 + 0.0003481
  //            = 0.00070774; 0.1 * 0.594737 / 0.595019 = 0.099953
  expectNear(f.get(kW), {0.8000473405, -2.1999652333, 0.6999862672});
}

TEST(OptimizerTest, AdamWDecaysWeightsDecoupled) {
  Fixture f;
  SolverConfig c = config("adamw", 0.1f);
  c.weightDecay = 0.1f;
  auto opt = Optimizer::create(c, *f.store);
  f.setGrad(kW, kG);
  opt->step(0.1f);
  // step 1: w *= 1 - 0.1*0.1 -> [0.99, -1.98, 0.495]; then -0.1*sign(g)
  // (the decay does not enter the moments, so m^/sqrt(v^) = sign(g))
  expectNear(f.get(kW), {0.89, -2.08, 0.595});
  opt->step(0.1f);
  // step 2: w *= 0.99 -> [0.8811, -2.0592, 0.58905]; then -0.1*sign(g)
  expectNear(f.get(kW), {0.7811, -2.1592, 0.68905});
}

TEST(OptimizerTest, NeverTouchesConstants) {
  for (const char* name : {"sgd", "adam", "adamw"}) {
    SCOPED_TRACE(name);
    Fixture f;
    SolverConfig c = config(name, 0.1f, 0.9f);
    c.weightDecay = 0.5f;
    auto opt = Optimizer::create(c, *f.store);
    f.setGrad(kW, kG);
    f.setGrad(kU, kG);
    opt->step(0.1f);
    opt->step(0.1f);
    EXPECT_EQ(f.get(kK), (std::vector<float>{4.f, 5.f, 6.f}));
    EXPECT_NE(f.get(kU), (std::vector<float>{0.f, 0.f, 0.f}));
    for (auto& [stateName, buf] : opt->state())
      EXPECT_NE(stateName.rfind("k/", 0), 0u) << stateName;
  }
}

// Restoring state() and steps() into a new optimizer continues exactly.
TEST(OptimizerTest, StateRestoresExactly) {
  for (const char* name : {"sgd", "adam", "adamw"}) {
    SCOPED_TRACE(name);
    SolverConfig c = config(name, 0.1f, 0.9f);
    c.weightDecay = 0.01f;
    Fixture a, b;
    auto straight = Optimizer::create(c, *a.store);
    auto first = Optimizer::create(c, *b.store);
    const std::vector<float> g2 = {-0.25f, 3.f, 0.125f};
    a.setGrad(kW, kG);
    b.setGrad(kW, kG);
    straight->step(0.1f);
    first->step(0.1f);
    a.setGrad(kW, g2);
    straight->step(0.05f);

    auto resumed = Optimizer::create(c, *b.store);
    auto from = first->state(), to = resumed->state();
    ASSERT_EQ(from.size(), to.size());
    for (size_t i = 0; i < from.size(); ++i) {
      EXPECT_EQ(from[i].first, to[i].first);
      std::copy(from[i].second.begin(), from[i].second.end(),
                to[i].second.begin());
    }
    resumed->setSteps(first->steps());
    b.setGrad(kW, g2);
    resumed->step(0.05f);
    EXPECT_EQ(a.get(kW), b.get(kW));
    EXPECT_EQ(resumed->steps(), 2);
  }
}

TEST(OptimizerTest, RejectsUnknownOptimizer) {
  Fixture f;
  try {
    Optimizer::create(config("rmsprop", 0.1f), *f.store);
    ADD_FAILURE() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(e.message().find("unknown optimizer 'rmsprop'"),
              std::string::npos);
  }
}

TEST(OptimizerTest, ClipScalesToTheGlobalNorm) {
  Fixture f;
  // Global norm over w and u: sqrt(3^2 + 4^2) = 5.
  f.setGrad(kW, {3.f, 0.f, 0.f});
  f.setGrad(kU, {0.f, 4.f, 0.f});
  EXPECT_FLOAT_EQ(clipGradNorm(*f.store, 0.f), 5.f);  // off: only measures
  EXPECT_EQ(f.store->gradData(kW)[0], 3.f);
  EXPECT_FLOAT_EQ(clipGradNorm(*f.store, 10.f), 5.f);  // below the limit
  EXPECT_EQ(f.store->gradData(kW)[0], 3.f);
  EXPECT_FLOAT_EQ(clipGradNorm(*f.store, 1.f), 5.f);
  // scaled by 1 / (5 + 1e-6): [0.6, 0, 0] and [0, 0.8, 0]
  EXPECT_NEAR(f.store->gradData(kW)[0], 0.6f, 1e-6);
  EXPECT_NEAR(f.store->gradData(kU)[1], 0.8f, 1e-6);
  EXPECT_EQ(f.store->gradData(kU)[0], 0.f);
  EXPECT_NEAR(clipGradNorm(*f.store, 0.f), 1.f, 1e-6);
}

// clipCoefficient passed to step() updates exactly as clipping the
// gradients in place and stepping with scale 1, for every optimizer.
TEST(OptimizerTest, FoldedClippingMatchesClippingInPlace) {
  for (const char* name : {"sgd", "adam", "adamw"}) {
    for (bool nesterov : {false, true}) {
      SCOPED_TRACE(std::string(name) + (nesterov ? " nesterov" : ""));
      SolverConfig c = config(name, 0.1f, 0.9f);
      c.weightDecay = 0.01f;
      c.nesterov = nesterov;
      Fixture a, b;
      auto inPlace = Optimizer::create(c, *a.store);
      auto folded = Optimizer::create(c, *b.store);
      for (int step = 0; step < 3; ++step) {
        for (Fixture* f : {&a, &b}) {
          f->setGrad(kW, {3.f + step, -4.f, 0.25f});
          f->setGrad(kU, {0.5f, 1.f, -2.f * step});
        }
        clipGradNorm(*a.store, 1.f);
        inPlace->step(0.1f);
        float norm = 0.f;
        float coef = clipCoefficient(*b.store, 1.f, &norm);
        EXPECT_LT(coef, 1.f);
        EXPECT_GT(norm, 1.f);
        folded->step(0.1f, coef);
        EXPECT_EQ(a.get(kW), b.get(kW)) << "step " << step;
        EXPECT_EQ(a.get(kU), b.get(kU)) << "step " << step;
      }
      EXPECT_EQ(clipCoefficient(*b.store, 0.f), 1.f) << "clipping off";
      EXPECT_EQ(clipCoefficient(*b.store, 100.f), 1.f) << "within the limit";
    }
  }
}

TEST(OptimizerTest, ClipLeavesNonFiniteGradientsForTheCaller) {
  Fixture f;
  f.setGrad(kW, {std::numeric_limits<float>::quiet_NaN(), 1.f, 1.f});
  EXPECT_TRUE(std::isnan(clipGradNorm(*f.store, 1.f)));
  EXPECT_EQ(f.store->gradData(kW)[1], 1.f);
  f.setGrad(kW, {std::numeric_limits<float>::infinity(), 1.f, 1.f});
  EXPECT_TRUE(std::isinf(clipGradNorm(*f.store, 1.f)));
  EXPECT_EQ(f.store->gradData(kW)[1], 1.f);
}

}  // namespace
}  // namespace tapeflow
