// bench/models/lenet_bench.cpp - whole-model steps of the two LeNet-5
// graphs (models/lenet5_keras.pbtxt, models/lenet5.pbtxt) and of the
// VGG-style models/vgg_cifar.pbtxt on random data.
//
// BM_TrainStep/<model>/<batch>  (batches 1 to 512, for the batch scaling
//                               of bench/compare) the trainer's TrainStep (train/train_step.h):
//                               copy of the batch into the inputs, forward
//                               (loss read back and checked), backward,
//                               clipping (off), SGD momentum 0.9 update,
//                               lr 0.01
// BM_TrainStepUnfused/<model>/64  the same step with PlanOptions::fuse off
//                               (no activation folded into its producer, no
//                               fused chains), to compare with fusion on
// BM_Inference/<model>/<batch>  forward of an inference plan computing the
//                               prediction (logits) only
// items_per_second counts images; Inference also reports GFLOP/s (forward
// FLOPs of the active nodes). The plan, the optimizer state and the inputs
// are made before the timed loop, and one untimed step warms everything up.
#include <cmath>

#include "bench/bench_support.h"
#include "train/optimizer.h"
#include "train/solver.h"
#include "train/train_step.h"

namespace tapeflow::bench {
namespace {

const char* const kModels[] = {"lenet5_keras", "lenet5", "vgg_cifar"};
// Training batch sizes: the LeNet ones and the scaling series.
const std::vector<int64_t> kTrainBatches = {1, 4, 16, 64, 256, 512};

struct ModelPlan {
  std::unique_ptr<Model> model;
  std::unique_ptr<Plan> plan;
  std::string loss, prediction;

  ModelPlan(const std::string& name, int64_t batch, Mode mode, bool fuse = true) {
    model = std::make_unique<Model>(name);
    const Program& p = *model->program;
    loss = p.value(p.lossValue()).name;
    prediction = p.value(p.predictionValue()).name;
    PlanOptions opts;
    opts.mode = mode;
    opts.batch = batch;
    opts.fuse = fuse;
    opts.outputs = mode == Mode::Training
                       ? std::vector<std::string>{loss, prediction}
                       : std::vector<std::string>{prediction};
    plan = std::make_unique<Plan>(model->program, *model->store, opts);
    int classes = int(plan->dims(p.predictionValue()).at(1));
    fillInputs(*plan, 5, 0.f, 1.f, classes);  // pixels in [0, 1)
  }

  // The plan's (random) inputs as a batch, each field named as its input.
  Batch batch(std::vector<InputBinding>* bindings) {
    const Program& p = *model->program;
    Batch b;
    b.size = plan->batch();
    for (const InputDef& in : p.graph().inputs) {
      BatchTensor t;
      t.name = in.name;
      t.dtype = in.dtype;
      const dnnl::memory& m = plan->inputMemory(in.name);
      const size_t n = m.get_desc().get_size() / 4;
      if (in.dtype == DType::F32)
        t.f32.assign(hostPtr(m), hostPtr(m) + n);
      else
        t.i32.assign(hostPtr<int32_t>(m), hostPtr<int32_t>(m) + n);
      b.fields.push_back(std::move(t));
      bindings->push_back({in.name, in.name});
    }
    return b;
  }
};

void runTrainStep(benchmark::State& state, const std::string& name,
                  int64_t batch, bool fuse = true) {
  std::unique_ptr<ModelPlan> m;
  std::unique_ptr<Optimizer> optimizer;
  std::unique_ptr<TrainStep> step;
  Batch data;
  SolverConfig config;
  config.optimizer = "sgd";
  config.lr = 0.01f;
  config.momentum = 0.9f;
  config.batchSize = batch;
  int64_t stepNo = 0;
  try {
    m = std::make_unique<ModelPlan>(name, batch, Mode::Training, fuse);
    optimizer = Optimizer::create(config, *m->model->store);
    std::vector<InputBinding> bindings;
    data = m->batch(&bindings);
    step = std::make_unique<TrainStep>(m->model->program, *m->model->store, optimizer.get(),
                                       config, bindings, 1);
    step->run(*m->plan, data, stepNo++);
  } catch (const std::exception& e) {
    fail(state, e.what());
    return;
  }
  Plan& plan = *m->plan;
  float loss = 0;
  bool failed = false;
  for (auto _ : state) {
    try {
      loss = step->run(plan, data, stepNo++).loss;
    } catch (const std::exception& e) {
      fail(state, e.what());  // a non-finite loss
      failed = true;
      break;
    }
  }
  if (failed) return;
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
    for (int64_t batch : kTrainBatches) {
      std::string suffix = std::string(model) + "/" + std::to_string(batch);
      std::string name = model;
      benchmark::RegisterBenchmark(("BM_TrainStep/" + suffix).c_str(),
                                   [name, batch](benchmark::State& s) {
                                     runTrainStep(s, name, batch);
                                   })
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  for (const char* model : kModels) {
    std::string name = model;
    benchmark::RegisterBenchmark(("BM_TrainStepUnfused/" + name + "/64").c_str(),
                                 [name](benchmark::State& s) { runTrainStep(s, name, 64, false); })
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
