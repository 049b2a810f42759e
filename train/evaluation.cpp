// train/evaluation.cpp - evaluation over every sample of a source.
#include "train/evaluation.h"

#include <algorithm>
#include <chrono>

namespace tapeflow {
namespace {

std::string lossName(const Program& p) {
  if (p.lossValue() < 0)
    throw GraphError(p.graph().loc, "", "", "the graph declares no loss; evaluation needs one");
  return p.value(p.lossValue()).name;
}

// The loss, the prediction (when the graph has one) and the logged values.
std::vector<std::string> evalOutputs(const Program& p) {
  std::vector<std::string> out{lossName(p)};
  if (p.predictionValue() >= 0) out.push_back(p.value(p.predictionValue()).name);
  for (const std::string& name : loggedOutputs(p)) out.push_back(name);
  return out;
}

}  // namespace

std::vector<std::string> loggedOutputs(const Program& p) {
  std::vector<std::string> out;
  auto add = [&](int v) {
    const ValueInfo& info = p.value(v);
    if (v == p.lossValue() || info.dtype != DType::F32 || numel(info.dims) != 1) return;
    if (info.kind == ValueKind::NodeOutput && p.op(info.owner).name() == "Accuracy" &&
        predictionClasses(p) > 1)
      return;
    if (std::find(out.begin(), out.end(), info.name) == out.end()) out.push_back(info.name);
  };
  for (int v : p.outputValues()) add(v);
  if (p.lossTerms().size() > 1)
    for (int v : p.lossTerms()) add(v);
  return out;
}

int64_t predictionClasses(const Program& p) {
  if (p.predictionValue() < 0) return 0;
  const Dims& d = p.value(p.predictionValue()).dims;
  return d.size() == 2 && d.back() > 1 ? d.back() : 0;  // [N, 1]: one score, no classes
}

std::string labelFieldOf(const Program& p, const std::vector<InputBinding>& bindings,
                         const std::vector<FieldSpec>& fields, const SolverConfig& solver) {
  if (predictionClasses(p) < 1) return "";
  for (const InputBinding& b : bindings)
    if (b.input == solver.labelName)
      for (const FieldSpec& f : fields)
        if (f.name == b.field && f.dtype == DType::I32 && f.dims.empty()) return f.name;
  return "";
}

int64_t countCorrect(const std::vector<float>& logits, const int32_t* labels, int64_t n,
                     int64_t classes, std::vector<int64_t>* confusion) {
  int64_t correct = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* row = logits.data() + i * classes;
    int64_t best = std::max_element(row, row + classes) - row;
    correct += best == labels[i];
    if (confusion && labels[i] >= 0 && labels[i] < classes)
      (*confusion)[size_t(labels[i] * classes + best)]++;
  }
  return correct;
}

Evaluator::Evaluator(std::shared_ptr<const Program> program, ParamStore& store,
                     const SolverConfig& solver, std::shared_ptr<const DataSource> data)
    : program_(program),
      batches_(std::move(data), transformFor(solver, false), solver.batchSize, solver.seed,
               /*dropLast=*/false),
      bindings_(bindInputs(*program, batches_, solver)),
      step_(program, store, nullptr, solver, bindings_, 1),
      plans_(program, store, Mode::Inference, evalOutputs(*program), solver.seed) {
  const Program& p = *program_;
  loss_ = lossName(p);
  classes_ = predictionClasses(p);
  if (p.predictionValue() >= 0) prediction_ = p.value(p.predictionValue()).name;
  labelField_ = labelFieldOf(p, bindings_, batches_.fields(), solver);
  logged_ = loggedOutputs(p);
}

EvalResult Evaluator::run(const std::function<void(int64_t, int64_t)>& onBatch) {
  EvalResult r;
  r.classes = labelField_.empty() ? 0 : classes_;
  r.hasAccuracy = !labelField_.empty();
  r.confusion.assign(size_t(r.classes * r.classes), 0);
  for (const std::string& name : logged_) r.outputs.emplace_back(name, 0.0);
  const auto t0 = std::chrono::steady_clock::now();
  batches_.start(0, 0);
  Batch b;
  while (batches_.next(&b)) {
    Plan& plan = plans_.get(b.size);
    step_.run(plan, b, 0);
    r.loss += double(plan.readScalar(loss_)) * double(b.size);
    for (auto& [name, sum] : r.outputs) sum += double(plan.readScalar(name)) * double(b.size);
    if (r.hasAccuracy)
      r.correct += countCorrect(plan.readValue(prediction_), b.find(labelField_)->i32.data(),
                                b.size, r.classes, &r.confusion);
    r.samples += b.size;
    if (onBatch) onBatch(r.samples, batches_.numSamples());
  }
  r.loss /= double(std::max<int64_t>(r.samples, 1));
  for (auto& [name, sum] : r.outputs) sum /= double(std::max<int64_t>(r.samples, 1));
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

EvalResult evaluate(std::shared_ptr<const Program> program, ParamStore& store,
                    const SolverConfig& solver, std::shared_ptr<const DataSource> data) {
  return Evaluator(std::move(program), store, solver, std::move(data)).run();
}

void printEval(FILE* out, const EvalResult& r, const std::string& title) {
  if (r.samples == 0) {
    std::fprintf(out, "%s: no evaluation yet\n", title.c_str());
    return;
  }
  for (const auto& [name, v] : r.outputs)
    std::fprintf(out, "%s %s: %.4f\n", title.c_str(), name.c_str(), v);
  if (!r.hasAccuracy) {
    std::fprintf(out, "%s loss: %.4f (%lld samples)\n", title.c_str(), r.loss,
                 static_cast<long long>(r.samples));
    return;
  }
  std::fprintf(out, "%s accuracy: %.2f%% (%lld/%lld), loss %.4f\n", title.c_str(),
               100.0 * r.accuracy(), static_cast<long long>(r.correct),
               static_cast<long long>(r.samples), r.loss);
  std::fprintf(out, "confusion matrix (rows: true class, columns: predicted):\n     ");
  for (int64_t c = 0; c < r.classes; ++c) std::fprintf(out, "%6lld", static_cast<long long>(c));
  std::fprintf(out, "\n");
  for (int64_t t = 0; t < r.classes; ++t) {
    std::fprintf(out, "%5lld", static_cast<long long>(t));
    for (int64_t p = 0; p < r.classes; ++p)
      std::fprintf(out, "%6lld", static_cast<long long>(r.confusion[size_t(t * r.classes + p)]));
    std::fprintf(out, "\n");
  }
}

}  // namespace tapeflow
