// core/op_context.h - what each op phase sees.
//
//   inferShapes(ShapeContext&)   pure: dims and dtypes in, dims out
//   prepare(PrepareContext&)     builds primitives once per (node, shapes)
//   forward(ExecContext&)        executes only
//   backward(GradContext&)       executes only; writes each needed input grad
//
// Errors: ops call fail()/failAttr()/unsupported(), which throw a typed
// tapeflow::Error pointing at the node's location in the graph file.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "core/graph.h"
#include "core/op_def.h"

namespace tapeflow {

class Program;

/// Execution mode of a plan.
enum class Mode { Training, Inference };

/// What ops record about a node in prepare: the oneDNN implementations
/// chosen and the reorders the node runs per forward+backward (shown by the
/// profiler and the benchmarks; see Plan::nodeInfo).
struct NodeInfo {
  std::string impl;  ///< "fwd=jit:avx2, bwd_data=..." ("" if none)
  int reorders = 0;
};

/// What the contexts below need from a plan. Plan (core/plan.h) implements
/// it, so that this file does not depend on the plan.
class PlanAccess {
 public:
  virtual const Program& program() const = 0;
  virtual Mode mode() const = 0;
  virtual bool nodeRunsBackward(int node) const = 0;
  virtual bool valueNeedsGrad(int value) const = 0;
  virtual const Dims& valueDims(int value) const = 0;
  virtual dnnl::memory::desc& valueDesc(int value) = 0;
  virtual dnnl::memory::desc& gradInputDesc(int node, int input) = 0;
  virtual const dnnl::post_ops& nodePostOps(int node) const = 0;
  virtual bool nodeHasPostOps(int node) const = 0;
  virtual bool nodeFused(int node) const = 0;
  virtual dnnl::memory scratchMemory(const dnnl::memory::desc& md) = 0;
  virtual void setNodeState(int node, std::shared_ptr<void> state) = 0;
  virtual void* nodeState(int node) const = 0;
  virtual NodeInfo& mutableNodeInfo(int node) = 0;
  virtual dnnl::memory& valueMemory(int value) = 0;
  virtual dnnl::memory& gradMemory(int value) = 0;
  /// True when backward writes a gradient for input `input` of `node`.
  virtual bool writesGradInput(int node, int input) const = 0;
  /// Where backward writes that gradient.
  virtual dnnl::memory& gradInputMemory(int node, int input) = 0;
  /// A seed that differs per node and per step (see ExecContext).
  virtual uint64_t nodeSeed(int node) const = 0;
  /// See PrepareContext::gradInputAsView.
  virtual bool offerGradView(int node, int input,
                             const dnnl::memory::desc& part) = 0;

 protected:
  ~PlanAccess() = default;
};

/// Read access to a node, its attributes (defaults applied) and its input
/// dims; the base of every context.
class NodeView {
 public:
  NodeView(const Node& node, const OpDef& def,
           const std::map<std::string, AttrValue>& attrs,
           std::vector<Dims> inputDims, std::vector<DType> inputDTypes);

  const Node& node() const { return *node_; }
  const OpDef& def() const { return *def_; }
  int numInputs() const { return static_cast<int>(inDims_.size()); }
  int numOutputs() const { return static_cast<int>(node_->outputs.size()); }
  const Dims& inputDims(int i) const { return inDims_.at(i); }
  DType inputDType(int i) const { return inTypes_.at(i); }
  /// Rank of input i.
  int inputRank(int i) const { return static_cast<int>(inDims_.at(i).size()); }

  int64_t attrInt(const std::string& name) const;
  float attrFloat(const std::string& name) const;
  const std::string& attrString(const std::string& name) const;
  const std::vector<int64_t>& attrInts(const std::string& name) const;
  const std::vector<float>& attrFloats(const std::string& name) const;
  /// True when the file sets the attribute (not only its default).
  bool attrGiven(const std::string& name) const;

  /// Throws ShapeError at the node: "node 'n' (Op): <message>".
  [[noreturn]] void fail(const std::string& message) const;
  /// Throws AttrError at the attribute's location.
  [[noreturn]] void failAttr(const std::string& attr,
                             const std::string& message) const;
  /// Throws UnsupportedError at the node.
  [[noreturn]] void unsupported(const std::string& message) const;
  /// "input 'src' [2,3,4]" style description of input i.
  std::string describeInput(int i) const;

 private:
  const AttrValue& attrValue(const std::string& name, AttrKind kind) const;

  const Node* node_;
  const OpDef* def_;
  const std::map<std::string, AttrValue>* attrs_;
  std::vector<Dims> inDims_;
  std::vector<DType> inTypes_;
};

/// Shape inference: read inputs, set every output.
class ShapeContext : public NodeView {
 public:
  using NodeView::NodeView;
  void setOutput(int i, Dims dims, DType dtype = DType::F32);
  const std::vector<Dims>& outputDims() const { return outDims_; }
  const std::vector<DType>& outputDTypes() const { return outTypes_; }
  /// Output dims set so far (for FLOP counting after inference).
  const Dims& outputDims(int i) const { return outDims_.at(i); }

 private:
  std::vector<Dims> outDims_;
  std::vector<DType> outTypes_;
};

/// Prepare: choose layouts, create primitive descriptors and primitives.
class PrepareContext : public NodeView {
 public:
  PrepareContext(PlanAccess& plan, int node, const NodeView& view);

  Mode mode() const;
  bool training() const { return mode() == Mode::Training; }
  /// True when backward will run for this node.
  bool runsBackward() const;
  /// True when input i needs a gradient.
  bool needsGrad(int i) const;
  const Dims& outputDims(int i) const;
  DType outputDType(int i) const;

  /// The memory layout input i arrives in (chosen by its producer).
  const dnnl::memory::desc& inputDesc(int i) const;
  /// Declares output i's layout (default: plain row-major of its dims).
  void setOutputDesc(int i, const dnnl::memory::desc& md);
  /// The layout output i will have (plain unless setOutputDesc was called).
  const dnnl::memory::desc& outputDesc(int i) const;
  /// Declares what backward writes for input i. Default: inputDesc(i). A
  /// different layout is reordered by the engine; different dims (a
  /// broadcast input, given in output geometry, plain layout) are summed
  /// down to the input's dims by the engine.
  void setGradInputDesc(int i, const dnnl::memory::desc& md);
  /// Offers `part` of output 0's gradient (a submemory_desc of
  /// outputDesc(0)) as input i's gradient itself. True when the plan takes
  /// it: input i's producer then reads its gradient from there, and
  /// backward writes none for input i (GradContext::needsGrad(i) is
  /// false). The plan takes it only when input i feeds no other node, is
  /// no gradient target, and its producer reads gradients as rows
  /// (OpDef::readsGradRows) that `part` is a row view of (PlanOptions::fuse
  /// on). Concat offers its inputs' slices.
  bool gradInputAsView(int i, const dnnl::memory::desc& part);

  /// Post-ops folded into this node (acceptsPostOps ops only; a foldsRelu
  /// op sees one eltwise_relu).
  const dnnl::post_ops& postOps() const;
  bool hasPostOps() const;
  /// True when this node was folded into its producer: forward is skipped
  /// and the output shares the producer's memory; backward still runs.
  bool isFused() const;

  dnnl::engine& engine() const;
  /// A buffer that lives as long as the plan (workspaces, temporaries).
  dnnl::memory scratch(const dnnl::memory::desc& md);
  /// Creates the op's state, kept with the plan.
  template <class S, class... Args>
  S& makeState(Args&&... args) {
    auto p = std::make_shared<S>(std::forward<Args>(args)...);
    S& ref = *p;
    setState(std::move(p));
    return ref;
  }
  /// Counts a reorder inserted by this node (profiling).
  void countReorder();
  /// Records the oneDNN implementation(s) chosen (pd.impl_info_str()), shown
  /// by the profiler and benchmarks; several calls are joined with ", ".
  void noteImpl(const std::string& what, const std::string& impl);

 private:
  void setState(std::shared_ptr<void> state);
  PlanAccess* plan_;
  int node_;
};

/// Forward execution.
class ExecContext {
 public:
  ExecContext(PlanAccess& plan, int node);
  dnnl::memory& input(int i) const;
  dnnl::memory& output(int i) const;
  template <class S>
  S& state() const {
    return *static_cast<S*>(rawState());
  }
  dnnl::stream& stream() const;
  bool training() const;
  /// A seed that differs per node and per step, reproducible from the
  /// plan's seed (dropout masks).
  uint64_t randomSeed() const;
  int numInputs() const;
  /// Throws DataError at the node for bad run-time data (an index out of
  /// range): "node 'n' (Op): <message>".
  [[noreturn]] void fail(const std::string& message) const;

 protected:
  void* rawState() const;
  PlanAccess* plan_;
  int node_;
};

/// Backward execution.
class GradContext : public ExecContext {
 public:
  using ExecContext::ExecContext;
  bool needsGrad(int i) const;
  /// Gradient of output i, in output(i)'s layout.
  dnnl::memory& gradOutput(int i) const;
  /// Where to write (overwrite) the gradient of input i.
  dnnl::memory& gradInput(int i) const;
};

/// Host pointer of a CPU memory object.
template <class T = float>
T* hostPtr(const dnnl::memory& m) {
  return static_cast<T*>(m.get_data_handle());
}

/// Plain row-major memory descriptor of dims.
dnnl::memory::desc plainDesc(const Dims& dims, DType dtype = DType::F32);
/// True when md is plain row-major (dense, no blocking).
bool isPlain(const dnnl::memory::desc& md);

}  // namespace tapeflow
