// train/evaluation.h - loss, accuracy and the confusion matrix of a model
// over every sample of a data source (the trainer's evaluations and
// `tapeflow eval` run this code).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/param_store.h"
#include "train/data/batcher.h"
#include "train/solver.h"
#include "train/train_step.h"

namespace tapeflow {

/// Accuracy, loss and the confusion matrix (rows: true class, columns:
/// predicted class) over a whole dataset. Accuracy needs a prediction with
/// classes and an i32 label field; without them hasAccuracy is false.
struct EvalResult {
  int64_t samples = 0;
  int64_t correct = 0;
  double loss = 0;
  int64_t classes = 0;
  bool hasAccuracy = false;
  std::vector<int64_t> confusion;
  double seconds = 0;
  /// Mean of each loggedOutputs() value over the samples.
  std::vector<std::pair<std::string, double>> outputs;
  double accuracy() const { return samples ? double(correct) / double(samples) : 0; }
};

/// The values training and evaluation log besides the loss and accuracy:
/// every f32 scalar in the graph's `output:` list, and each loss when the
/// graph has several, in that order. An Accuracy op's output is left out
/// when the graph has a prediction with classes: the trainer reports that
/// accuracy already.
std::vector<std::string> loggedOutputs(const Program& program);

/// The last dim of the graph's rank-2 prediction (its classes); 0 without
/// one, and for a single score per sample ([N, 1], a regression).
int64_t predictionClasses(const Program& program);

/// The field that holds class labels for accuracy: the one bound to the
/// graph input solver.labelName, when it is an i32 scalar per sample and
/// the prediction has classes; "" otherwise.
std::string labelFieldOf(const Program& program, const std::vector<InputBinding>& bindings,
                         const std::vector<FieldSpec>& fields, const SolverConfig& solver);

/// Row arg-max of logits [n, classes] against labels: the number correct;
/// counts into confusion (classes x classes) when given.
int64_t countCorrect(const std::vector<float>& logits, const int32_t* labels, int64_t n,
                     int64_t classes, std::vector<int64_t>* confusion);

/// Evaluates a model on a source, batch after batch in file order, every
/// sample included (a short last batch runs on its own plan), with
/// inference plans (BatchNorm uses its running statistics, Dropout is off).
class Evaluator {
 public:
  /// Throws as bindInputs when the source does not fit the graph, and
  /// GraphError for a graph without a loss.
  Evaluator(std::shared_ptr<const Program> program, ParamStore& store,
            const SolverConfig& solver, std::shared_ptr<const DataSource> data);
  /// Runs over every sample; onBatch (when set) is called after each
  /// batch with the samples done and the total, for a progress bar.
  EvalResult run(const std::function<void(int64_t done, int64_t total)>& onBatch = {});
  uint64_t fingerprint() const { return batches_.source().fingerprint(); }

 private:
  std::shared_ptr<const Program> program_;
  Batcher batches_;
  std::vector<InputBinding> bindings_;
  TrainStep step_;
  PlanCache plans_;
  std::string loss_, prediction_, labelField_;
  std::vector<std::string> logged_;
  int64_t classes_ = 0;
};

/// One evaluation of a model with the given parameters (see Evaluator).
EvalResult evaluate(std::shared_ptr<const Program> program, ParamStore& store,
                    const SolverConfig& solver, std::shared_ptr<const DataSource> data);

/// Prints "<title> accuracy: ..." (or "<title> loss: ..." without accuracy)
/// and the confusion matrix.
void printEval(FILE* out, const EvalResult& r, const std::string& title);

}  // namespace tapeflow
