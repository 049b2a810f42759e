// tools/analysis/model_report.h - what `tapeflow summary`, `graph --dot`
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
  int64_t buffers = 0;  ///< running statistics (not in total)
};

/// Parameter elements owned by the model (constants count as
/// non-trainable). Params an op updates in place (running statistics,
/// OpDef::stateInputs) are buffers, as in PyTorch, not parameters.
ParamCounts countParams(const Program& program);

/// Per param (graph order): true when some op updates it in place.
std::vector<bool> bufferParams(const Program& program);

/// Parameters a node consumes directly (each counted at its first consumer
/// in execution order; buffers excluded), indexed by node.
std::vector<int64_t> paramsPerNode(const Program& program);

/// For each node, the earlier nodes (in execution order) that already
/// consumed a param it consumes: "fc1" for a second user of fc1's weight.
/// The summary marks such a row "(shared with fc1)"; its params count once.
std::vector<std::vector<std::string>> sharedParamsPerNode(
    const Program& program);

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
  int directions = 3;        ///< directions checked per parameter
  float step = 3e-4f;        ///< largest change of any element
  double tolerance = 2e-2;   ///< on the relative error
};

/// Result for one parameter. The check is directional (as JAX's
/// check_grads): for unit directions u (the analytic gradient's own, then
/// random ones) it compares g.u with (f(p + h u) - f(p - h u)) / 2h, where
/// h moves no element by more than `step`. A direction whose expected change
/// h|g.u| is below what f32 resolves in the loss is skipped and counted as
/// unresolved. When the two passes f(p + h u) and f(p - h u) lie on
/// different sides of a kink (a Relu input changes sign,
/// or a MaxPool window's winner changes), the quotient mixes two slopes; the
/// check takes the kinks' first-order share out of it (from the activations
/// of the three passes and dL/d(activation) at p) and counts the direction
/// as kinked.
struct ParamGradCheck {
  std::string param;
  int checked = 0;
  int unresolved = 0;
  int kinked = 0;  ///< checked directions whose passes crossed a kink
  double worstRel = 0;
  double worstAbs = 0;
  double gradNorm = 0;
};

/// Runs the check for every trainable parameter on random inputs (labels
/// drawn from the class count of the op that consumes them).
std::vector<ParamGradCheck> checkModelGradients(
    std::shared_ptr<const Program> program, const ModelGradCheckOptions& opts);

/// "1,631,080".
std::string withCommas(int64_t n);

}  // namespace tapeflow
