// bench/models/lenet_bench.cpp - whole-model steps of the two LeNet-5
// graphs (models/lenet5_keras.pbtxt, models/lenet5.pbtxt) on random data.
//
// BM_TrainStep/<model>/<batch>  forward (loss included, read back as the
//                               trainer does) + backward + SGD momentum 0.9
//                               update through Optimizer, lr 0.01
// BM_Inference/<model>/<batch>  forward of an inference plan computing the
//                               prediction (logits) only
// items_per_second counts images; Inference also reports GFLOP/s (forward
// FLOPs of the active nodes). The plan, the optimizer state and the inputs
// are made before the timed loop, and one untimed step warms everything up.
#include <cmath>

#include "bench/bench_support.h"
#include "train/optimizer.h"
#include "train/solver.h"

namespace tapeflow::bench {
namespace {

const char* const kModels[] = {"lenet5_keras", "lenet5"};

struct ModelPlan {
  std::unique_ptr<Model> model;
  std::unique_ptr<Plan> plan;
  std::string loss, prediction;

  ModelPlan(const std::string& name, int64_t batch, Mode mode) {
    model = std::make_unique<Model>(name);
    const Program& p = *model->program;
    loss = p.value(p.lossValue()).name;
    prediction = p.value(p.predictionValue()).name;
    PlanOptions opts;
    opts.mode = mode;
    opts.batch = batch;
    opts.outputs = mode == Mode::Training
                       ? std::vector<std::string>{loss, prediction}
                       : std::vector<std::string>{prediction};
    plan = std::make_unique<Plan>(model->program, *model->store, opts);
    int classes = int(plan->dims(p.predictionValue()).at(1));
    fillInputs(*plan, 5, 0.f, 1.f, classes);  // pixels in [0, 1)
  }
};

void runTrainStep(benchmark::State& state, const std::string& name,
                  int64_t batch) {
  std::unique_ptr<ModelPlan> m;
  std::unique_ptr<Optimizer> optimizer;
  SolverConfig config;
  config.optimizer = "sgd";
  config.lr = 0.01f;
  config.momentum = 0.9f;
  try {
    m = std::make_unique<ModelPlan>(name, batch, Mode::Training);
    optimizer = Optimizer::create(config, *m->model->store);
    m->plan->forward();
    m->plan->backward();
    optimizer->step(config.lr);
  } catch (const std::exception& e) {
    fail(state, e.what());
    return;
  }
  Plan& plan = *m->plan;
  float loss = 0;
  for (auto _ : state) {
    plan.forward();
    loss = plan.readScalar(m->loss);
    plan.backward();
    optimizer->step(config.lr);
  }
  if (!std::isfinite(loss)) {
    fail(state, "the loss is not finite: " + std::to_string(loss));
    return;
  }
  setCounters(state, batch, 0, totalReorders(plan));
  state.SetLabel(modelLabel(plan));
}

void runInference(benchmark::State& state, const std::string& name,
                  int64_t batch) {
  std::unique_ptr<ModelPlan> m;
  try {
    m = std::make_unique<ModelPlan>(name, batch, Mode::Inference);
    m->plan->forward();
  } catch (const std::exception& e) {
    fail(state, e.what());
    return;
  }
  Plan& plan = *m->plan;
  for (auto _ : state) plan.forward();
  setCounters(state, batch, forwardFlops(plan), totalReorders(plan));
  state.SetLabel(modelLabel(plan));
}

bool registerLeNet() {
  for (const char* model : kModels)
    for (int64_t batch : kLeNetBatches) {
      std::string suffix = std::string(model) + "/" + std::to_string(batch);
      std::string name = model;
      benchmark::RegisterBenchmark(("BM_TrainStep/" + suffix).c_str(),
                                   [name, batch](benchmark::State& s) {
                                     runTrainStep(s, name, batch);
                                   })
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  for (const char* model : kModels)
    for (int64_t batch : kLeNetBatches) {
      std::string suffix = std::string(model) + "/" + std::to_string(batch);
      std::string name = model;
      benchmark::RegisterBenchmark(("BM_Inference/" + suffix).c_str(),
                                   [name, batch](benchmark::State& s) {
                                     runInference(s, name, batch);
                                   })
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  return true;
}

[[maybe_unused]] const bool kRegistered = registerLeNet();

}  // namespace
}  // namespace tapeflow::bench
