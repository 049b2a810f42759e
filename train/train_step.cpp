// train/train_step.cpp - input binding, plans per batch size, and the step.
//
// Dropout seeds are a function of (seed, step) and every batch one of
// (seed, epoch, index), so a run resumed from a checkpoint repeats the
// uninterrupted run bit for bit at the same thread count.
#include "train/train_step.h"

#include <cmath>
#include <cstring>

#include "train/schedule.h"

namespace tapeflow {

TransformConfig transformFor(const SolverConfig& s, bool training) {
  TransformConfig t;
  t.padTo = s.padTo;
  t.normalize = s.normalize;
  t.mean = s.mean;
  t.stddev = s.stddev;
  t.randomShift = training ? s.randomShift : 0;
  t.shuffle = training && s.shuffle;
  return t;
}

std::vector<InputBinding> bindInputs(const Program& p, const Batcher& batches,
                                     const SolverConfig& solver) {
  const std::vector<FieldSpec>& fields = batches.fields();
  const std::string source = batches.source().describe();
  auto find = [&](const std::string& name) -> const FieldSpec* {
    for (const FieldSpec& f : fields)
      if (f.name == name) return &f;
    return nullptr;
  };
  std::vector<InputBinding> out;
  for (const InputDef& in : p.graph().inputs) {
    std::string mapped;
    if (in.name == solver.inputName) mapped = "image";
    if (in.name == solver.labelName) mapped = "label";
    const FieldSpec* f = !mapped.empty() ? find(mapped) : nullptr;
    if (!f) f = find(in.name);
    if (!f) {
      std::string tried = "'" + in.name + "'";
      if (!mapped.empty() && mapped != in.name) tried = "'" + mapped + "' or " + tried;
      throw UnboundInputError(p.graph().loc, in.name, mapped,
                              "graph input '" + in.name + "' is fed by no field of " + source +
                                  " (no field " + tried + "; its fields: " +
                                  batches.source().describeFields() + ")");
    }
    const Dims& want = p.value(p.findValue(in.name)).dims;
    Dims have = f->dims;
    have.insert(have.begin(), -1);
    if (f->dtype != in.dtype || have != want) {
      std::string what = f->dtype != in.dtype ? std::string(dtypeName(f->dtype))
                                              : dimsStr(have, true);
      std::string expects = f->dtype != in.dtype ? std::string(dtypeName(in.dtype))
                                                 : dimsStr(want, true);
      throw DataError({}, "", "",
                      source + ": field '" + f->name + "' is " + what +
                          (f->image ? " (after padding)" : "") + ", the graph input '" +
                          in.name + "' expects " + expects +
                          (f->image && f->dtype == in.dtype
                               ? " (the solver's pad_to sets the padded size)"
                               : ""));
    }
    out.push_back({in.name, f->name});
  }
  return out;
}

PlanCache::PlanCache(std::shared_ptr<const Program> program, ParamStore& store, Mode mode,
                     std::vector<std::string> outputs, uint64_t seed)
    : program_(std::move(program)),
      store_(&store),
      mode_(mode),
      outputs_(std::move(outputs)),
      seed_(seed) {}

Plan& PlanCache::get(int64_t batch) {
  auto& plan = plans_[batch];
  if (!plan) {
    PlanOptions o;
    o.mode = mode_;
    o.batch = batch;
    o.outputs = outputs_;
    plan = std::make_unique<Plan>(program_, *store_, o);
    plan->setSeed(seed_);
  }
  return *plan;
}

TrainStep::TrainStep(std::shared_ptr<const Program> program, ParamStore& store,
                     Optimizer* optimizer, const SolverConfig& solver,
                     std::vector<InputBinding> bindings, int64_t stepsPerEpoch)
    : program_(std::move(program)),
      store_(&store),
      optimizer_(optimizer),
      solver_(solver),
      bindings_(std::move(bindings)),
      stepsPerEpoch_(stepsPerEpoch) {
  if (program_->lossValue() >= 0) loss_ = program_->value(program_->lossValue()).name;
}

void TrainStep::bind(Plan& plan, const Batch& batch) const {
  for (const InputBinding& b : bindings_) {
    const BatchTensor* t = batch.find(b.field);
    dnnl::memory& m = plan.inputMemory(b.input);
    if (!t || t->bytes() != m.get_desc().get_size())
      throw UsageError({}, "", "",
                       "batch field '" + b.field + "' does not fit graph input '" + b.input +
                           "' of a plan for batch " + std::to_string(plan.batch()));
    std::memcpy(m.get_data_handle(), t->data(), t->bytes());
  }
}

TrainStep::Result TrainStep::run(Plan& plan, const Batch& batch, int64_t step,
                                 StepObserver* observer) {
  Result r;
  r.loss = computeGradients(plan, batch, step, observer);
  if (plan.mode() == Mode::Training) r.lr = applyUpdate(step, observer);
  return r;
}

float TrainStep::computeGradients(Plan& plan, const Batch& batch, int64_t step,
                                  StepObserver* observer) {
  float loss = NAN;
  const bool training = plan.mode() == Mode::Training;
  {
    PhaseScope phase(observer, StepPhase::Data);
    bind(plan, batch);
  }
  {
    PhaseScope phase(observer, StepPhase::Forward);
    plan.setStep(uint64_t(step));
    plan.forward();
    if (training && !loss_.empty()) loss = plan.readScalar(loss_);
  }
  if (!training) return loss;
  if (!std::isfinite(loss)) diagnoseNonFinite(plan, batch, step, loss);
  {
    PhaseScope phase(observer, StepPhase::Backward);
    plan.backward();
  }
  return loss;
}

float TrainStep::applyUpdate(int64_t step, StepObserver* observer) {
  if (!optimizer_) return 0;
  float gradScale = 1.f;
  {
    PhaseScope phase(observer, StepPhase::Clip);
    gradScale = clipCoefficient(*store_, solver_.clipNorm);
  }
  PhaseScope phase(observer, StepPhase::Optimizer);
  const float lr = learningRate(solver_, step, stepsPerEpoch_);
  optimizer_->step(lr, gradScale);
  return lr;
}

// Finds the first node whose output went non-finite by running the step's
// forward again with numeric checks.
void TrainStep::diagnoseNonFinite(const Plan& plan, const Batch& batch, int64_t step,
                                  float loss) {
  PlanOptions o;
  o.batch = batch.size;
  o.outputs = {loss_};
  o.checkNumerics = true;
  Plan check(program_, *store_, o);
  check.setSeed(plan.seed());
  check.setStep(uint64_t(step));
  bind(check, batch);
  std::string where = "no node output was non-finite on re-run";
  try {
    check.forward();
  } catch (const NumericError& e) {
    where = e.what();
  }
  throw NumericError(program_->graph().loc, "", "",
                     "loss is " + std::to_string(loss) + " at step " + std::to_string(step) +
                         "; first non-finite value: " + where);
}

}  // namespace tapeflow
