// core/program.h - a validated graph: every name resolved, every op known,
// attributes checked against their schema, acyclic, shapes inferred.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/graph.h"
#include "core/op_def.h"

namespace tapeflow {

/// Where a value comes from.
enum class ValueKind { Input, Param, NodeOutput };

/// One named value of the graph, with its inferred type and dims (dims[0]
/// is -1 where it follows the batch size).
struct ValueInfo {
  std::string name;
  ValueKind kind = ValueKind::NodeOutput;
  int owner = -1;  ///< input, param or node index
  int port = 0;    ///< output port of the producing node
  DType dtype = DType::F32;
  Dims dims;
  SourceLoc loc;
  std::vector<std::pair<int, int>> consumers;  ///< (node, input port)
};

/// A validated, shape-checked graph. Immutable once built.
class Program {
 public:
  /// Validates `graph` against `registry`; throws a tapeflow::Error (one
  /// line, with file:line:col) for the first problem found.
  static std::shared_ptr<const Program> build(Graph graph,
                                              const OpRegistry& registry);

  const Graph& graph() const { return graph_; }
  /// The graph as given to build: graph() without the objective node build
  /// adds for several losses, so that building it again gives this program.
  Graph declaredGraph() const;
  const std::vector<ValueInfo>& values() const { return values_; }
  const ValueInfo& value(int v) const { return values_.at(v); }
  /// -1 when unknown.
  int findValue(const std::string& name) const;
  const OpDef& op(int node) const { return *ops_.at(node); }
  const std::map<std::string, AttrValue>& attrs(int node) const {
    return attrs_.at(node);
  }
  const std::vector<int>& nodeInputs(int node) const { return in_.at(node); }
  const std::vector<int>& nodeOutputs(int node) const { return out_.at(node); }
  int numNodes() const { return static_cast<int>(graph_.nodes.size()); }
  /// Nodes in topological order (ties by file order).
  const std::vector<int>& order() const { return order_; }
  /// Node-to-node edges (producer, consumer).
  const std::vector<std::pair<int, int>>& edges() const { return edges_; }
  /// The objective: the loss, or with several losses (Graph::losses) the
  /// WeightedSum node build added; -1 without a loss.
  int lossValue() const { return loss_; }
  /// Each loss as declared (one entry, lossValue(), for a single loss;
  /// empty without a loss).
  const std::vector<int>& lossTerms() const { return lossTerms_; }
  int predictionValue() const { return prediction_; }
  const std::vector<int>& outputValues() const { return outputs_; }

  /// Dims of every value at a concrete batch size (inputs' -1 replaced).
  /// Throws ShapeError if an op rejects that batch size.
  std::vector<Dims> dimsAt(int64_t batch) const;
  /// Forward FLOPs of one node for one sample (0 when the op has no count).
  int64_t flopsPerSample(int node) const;
  /// Parameter count of a param value (elements).
  int64_t paramCount(int param) const;

 private:
  Program() = default;
  static std::shared_ptr<Program> buildChecked(Graph graph, const OpRegistry& registry);
  void resolveNames(const OpRegistry& registry);
  void checkAttrs();
  void checkGraphStructure();
  void checkParams();
  void checkStateInputs();
  void inferShapes();
  std::vector<Dims> runShapes(int64_t batch, std::vector<DType>* dtypes) const;

  Graph graph_;
  std::vector<ValueInfo> values_;
  std::map<std::string, int> valueIndex_;
  std::vector<const OpDef*> ops_;
  std::vector<std::map<std::string, AttrValue>> attrs_;
  std::vector<std::vector<int>> in_, out_;
  std::vector<std::pair<int, int>> edges_;
  std::vector<int> order_;
  std::vector<int> outputs_;
  int loss_ = -1;
  std::vector<int> lossTerms_;
  int prediction_ = -1;
};

}  // namespace tapeflow
