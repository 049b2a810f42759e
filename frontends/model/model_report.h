// frontends/model/model_report.h - what `tapeflow summary`, `graph --dot`
// and `gradcheck` print about a validated model.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/program.h"

namespace tapeflow {

struct ParamCounts {
  int64_t total = 0;
  int64_t trainable = 0;
};

/// Parameter elements owned by the model (constants count as
/// non-trainable).
ParamCounts countParams(const Program& program);

/// Parameters a node consumes directly (each counted at its first consumer
/// in execution order), indexed by node.
std::vector<int64_t> paramsPerNode(const Program& program);

/// A Keras-style table: node, op, output shape, parameters, FLOPs per
/// sample; then totals.
std::string summaryTable(const Program& program);

/// Graphviz DOT of the model: inputs and params as ellipses, nodes as
/// boxes, edges labelled with value names and shapes.
std::string graphDot(const Program& program);

/// Options of the whole-model gradient check.
struct ModelGradCheckOptions {
  int64_t batch = 2;
  uint64_t seed = 1;
  int samplesPerParam = 16;  ///< elements checked per parameter
  float step = 1e-2f;
  double tolerance = 1e-2;   ///< on the relative error, see below
};

/// Worst errors for one parameter. rel = |a-n| / max(|a|, |n|, floor),
/// where floor is 1e-3 of the parameter's largest analytic gradient.
struct ParamGradCheck {
  std::string param;
  int checked = 0;
  double worstRel = 0;
  double worstAbs = 0;
  double maxGrad = 0;
};

/// Compares analytic gradients of the loss with central differences for a
/// sample of every trainable parameter, on random inputs (labels drawn
/// from the class count of the op that consumes them).
std::vector<ParamGradCheck> checkModelGradients(
    std::shared_ptr<const Program> program, const ModelGradCheckOptions& opts);

/// "1,631,080".
std::string withCommas(int64_t n);

}  // namespace tapeflow
