// core/plan.h - a Program prepared for one batch size and mode: every
// primitive created, every buffer allocated, ready to run many steps.
//
// forward() executes the active nodes in topological order and, in training
// mode, records them on the tape; backward() replays the tape in reverse,
// seeds the loss gradient, accumulates gradients of values with several
// consumers and sums broadcast gradients down to their input's shape.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "core/chain_fusion.h"
#include "core/op_context.h"
#include "core/param_store.h"
#include "core/program.h"

namespace tapeflow {

/// What a plan computes.
struct PlanOptions {
  Mode mode = Mode::Training;
  int64_t batch = 1;
  /// Values to compute; empty: the graph's outputs, loss and prediction.
  std::vector<std::string> outputs;
  /// Values whose gradients are seeded by backward(); empty in training:
  /// the loss.
  std::vector<std::string> gradTargets;
  /// Also compute gradients of f32 graph inputs.
  bool inputGrads = false;
  /// Fold activations into their producer as oneDNN post-ops, and run
  /// chains of elementwise nodes as one fused node (core/chain_fusion.h;
  /// not with checkNumerics, which checks every node), and let an input's
  /// gradient be a part of its consumer's output gradient where the op
  /// offers it (Concat, see gradViewOf). The environment variable
  /// TAPEFLOW_NO_FUSE=1 turns all three off for every plan.
  bool fuse = true;
  /// Check every node's outputs for NaN/Inf after it runs.
  bool checkNumerics = false;
  /// Node outputs (and, in training, their gradients) whose lifetimes in
  /// the execution order (in training, the forward pass and then the
  /// backward pass) do not overlap share memory (core/plan_memory.cpp).
  /// Only the values the plan computes for its caller (outputs, prediction,
  /// loss) keep theirs: readValue of any other node output, and readGrad
  /// of a node output, is an error.
  bool shareBuffers = true;
};

/// Watches a plan run, node by node (the profiler times nodes with it).
/// Called around each node's forward call (not for a node folded into its
/// producer: it runs inside the producer's call) and around each node's
/// backward call (the op's backward and the engine's gradient
/// accumulation for its inputs).
class NodeObserver {
 public:
  virtual ~NodeObserver() = default;
  virtual void beginNode(int node, bool backward) = 0;
  virtual void endNode(int node, bool backward) = 0;
};

/// Gradient bookkeeping of one (node, input) pair; see plan.cpp.
struct GradEdge {
  int value = -1;
  dnnl::memory mem;      ///< what the op writes
  bool direct = false;   ///< mem is the value's gradient buffer
  bool assign = true;    ///< first contribution: overwrite, else add
  bool reduce = false;   ///< dims differ: sum broadcast dims away
  dnnl::memory reduced;  ///< plain, value dims
  std::optional<dnnl::reorder> toValueLayout;
  dnnl::memory converted;  ///< value layout (accumulate path)
  std::optional<dnnl::binary> add;
};

class Plan final : private PlanAccess {
 public:
  Plan(std::shared_ptr<const Program> program, ParamStore& params,
       PlanOptions options);
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;

  /// Runs the forward pass (recording the tape in training mode).
  void forward();
  /// Runs the backward pass over the recorded tape. Seeds the loss with 1
  /// (other targets must be seeded with seedGrad first).
  void backward();
  /// Writes the upstream gradient of a grad target (plain, row-major).
  void seedGrad(const std::string& value, const float* data);

  /// Plain memory of a graph input, to be filled before forward().
  dnnl::memory& inputMemory(const std::string& name);
  /// Copies a value (any layout) to plain row-major floats.
  std::vector<float> readValue(const std::string& name);
  std::vector<float> readValue(int value);
  /// Copies a value's gradient to plain row-major floats.
  std::vector<float> readGrad(const std::string& name);
  /// Scalar convenience for the loss.
  float readScalar(const std::string& name);

  const Program& program() const override { return *program_; }
  const PlanOptions& options() const { return options_; }
  Mode mode() const override { return options_.mode; }
  int64_t batch() const { return options_.batch; }
  const Dims& dims(int value) const { return dims_.at(value); }
  const dnnl::memory::desc& desc(int value) const { return md_.at(value); }
  bool active(int node) const { return active_.at(node); }
  bool fused(int node) const { return fusedInto_.at(node) >= 0; }
  int fusedInto(int node) const { return fusedInto_.at(node); }
  bool runsBackward(int node) const { return runsBackward_.at(node); }
  /// The fused chain `node` belongs to, or nullptr. Its last node runs the
  /// whole chain (NodeObserver calls name that node); the others run
  /// nothing, and the values between them are never materialized.
  const FusedChain* chainOf(int node) const {
    return chainOf_.at(node) >= 0 ? &chains_[size_t(chainOf_[node])] : nullptr;
  }
  const std::vector<FusedChain>& chains() const { return chains_; }
  bool valueNeedsGrad(int value) const override { return needsGrad_.at(value); }
  /// Active nodes in execution order.
  const std::vector<int>& order() const { return order_; }
  const std::vector<int>& tape() const { return tape_; }
  /// What the node's op recorded in prepare: implementations, reorders.
  const NodeInfo& nodeInfo(int node) const { return info_.at(node); }
  /// Calls `observer` around every node call from now on (nullptr: none).
  /// The plan does not own it.
  void setObserver(NodeObserver* observer) { observer_ = observer; }
  NodeObserver* observer() const { return observer_; }
  /// The node after whose backward call (NodeObserver::endNode(n, true))
  /// the gradient of `value` holds every contribution, for the tape of
  /// the last forward(); -1 when no node that runs backward contributes.
  int gradientFinalAfter(int value) const;
  /// The value whose gradient buffer holds the gradient of `value` as a
  /// part (a Concat output for one of its inputs: no copy backward), or
  /// -1 when `value` has a gradient buffer of its own.
  int gradViewOf(int value) const { return viewBase_.at(value); }
  /// The OpenMP threads the node's primitives were created and run with:
  /// 1 for a tiny node (its elements and FLOPs per step under
  /// kSingleThreadWork, core/plan_threads.cpp), else the team size when
  /// the plan was built. A fused chain's nodes share its count.
  int threads(int node) const { return threads_.at(node); }
  /// Step counter used to derive per-step random seeds (dropout).
  void setStep(uint64_t step) { step_ = step; }
  uint64_t step() const { return step_; }
  void setSeed(uint64_t seed) { seed_ = seed; }
  uint64_t seed() const { return seed_; }
  /// Total bytes of activation and gradient buffers this plan allocated.
  int64_t bytesAllocated() const { return bytes_; }
  /// The node outputs' buffers (PlanOptions::shareBuffers; in training
  /// also their gradients'): the bytes they would take each on its own,
  /// the most that is live at once in the execution order, and the one
  /// arena they share (0: not shared; at least the live peak, the rest is
  /// fragmentation).
  struct BufferStats {
    int64_t valueBytes = 0, livePeakBytes = 0, arenaBytes = 0;
  };
  const BufferStats& bufferStats() const { return bufferStats_; }
  /// The memory of a value (empty when the plan computes none for it).
  const dnnl::memory& memoryOf(int value) const { return mem_.at(value); }
  /// The memory of a value's gradient (empty when there is none).
  const dnnl::memory& gradMemoryOf(int value) const { return grad_.at(value); }

 private:
  // PlanAccess, for the op contexts.
  bool nodeRunsBackward(int node) const override { return runsBackward_[node]; }
  const Dims& valueDims(int value) const override { return dims_[value]; }
  dnnl::memory::desc& valueDesc(int value) override { return md_[value]; }
  dnnl::memory::desc& gradInputDesc(int node, int input) override {
    return gradInMd_[node].at(input);
  }
  const dnnl::post_ops& nodePostOps(int node) const override { return postOps_[node]; }
  bool nodeHasPostOps(int node) const override { return fusedChild_[node] >= 0; }
  bool nodeFused(int node) const override { return fusedInto_[node] >= 0; }
  dnnl::memory scratchMemory(const dnnl::memory::desc& md) override;
  void setNodeState(int node, std::shared_ptr<void> state) override {
    state_[node] = std::move(state);
  }
  void* nodeState(int node) const override { return state_[node].get(); }
  NodeInfo& mutableNodeInfo(int node) override { return info_[node]; }
  dnnl::memory& valueMemory(int value) override { return mem_[value]; }
  dnnl::memory& gradMemory(int value) override {
    return grad_[gradFrom_[value] >= 0 ? gradFrom_[value] : value];
  }
  bool writesGradInput(int node, int input) const override {
    return edges_[node].at(input).value >= 0;
  }
  dnnl::memory& gradInputMemory(int node, int input) override {
    return edges_[node].at(input).mem;
  }
  uint64_t nodeSeed(int node) const override;
  bool offerGradView(int node, int input, const dnnl::memory::desc& part) override;

  void markActive();
  void markGradients();
  int foldableConsumer(int node) const;
  void planFusion();
  void planChains();
  void planThreads();
  void prepareChain(int chain);
  bool consumersWantNhwc(int value) const;
  void runChain(int chain, bool backwardPass);
  /// The nodes whose gradient edges node n's backward call runs, in
  /// backward order: n itself, the members of the chain n runs, or none.
  std::vector<int> backwardUnit(int n) const;
  void prepareNodes();
  /// Allocates a node output's buffer now, or (sharing) in assignBuffers.
  void placeValue(int value);
  /// Places the buffers placeValue deferred in one arena by liveness.
  void assignBuffers();
  void allocateGradients();
  void runEdge(GradEdge& e);
  void checkFinite(int node, bool backwardPass);
  /// A buffer for `value` (-1: scratch) or its gradient; IoError naming
  /// the node, the value and the bytes when it cannot be had.
  dnnl::memory allocate(const dnnl::memory::desc& md, int value = -1, bool grad = false);

  std::shared_ptr<const Program> program_;
  ParamStore* params_;
  PlanOptions options_;
  std::vector<Dims> dims_;
  std::vector<dnnl::memory::desc> md_;
  std::vector<dnnl::memory> mem_;
  std::vector<dnnl::memory> grad_;
  std::vector<bool> needsGrad_;
  std::vector<bool> isTarget_;
  std::vector<bool> active_;
  std::vector<bool> runsBackward_;
  std::vector<int> fusedInto_;   ///< consumer -> producer it folded into
  std::vector<int> fusedChild_;  ///< producer -> folded consumer
  std::vector<dnnl::post_ops> postOps_;
  std::vector<FusedChain> chains_;
  std::vector<int> chainOf_;  ///< node -> index in chains_, or -1
  std::vector<bool> internal_;  ///< value -> lives only inside a chain
  /// value -> the value whose gradient buffer its consumer's backward reads
  /// (a BatchNorm output whose Relu folded into it), or -1
  std::vector<int> gradFrom_;
  /// value -> the value whose gradient holds its gradient as the part
  /// viewMd_[value] (offerGradView), or -1
  std::vector<int> viewBase_;
  std::vector<dnnl::memory::desc> viewMd_;
  std::vector<std::unique_ptr<FusedChainNode>> chainNodes_;
  std::vector<int> threads_;  ///< node -> OpenMP threads (see threads())
  std::vector<int> order_;
  std::vector<bool> kept_;     ///< value -> computed for the caller
  bool sharing_ = false;       ///< node outputs share memory by liveness
  std::vector<int> deferred_;  ///< values placeValue left to assignBuffers
  std::vector<bool> reused_;   ///< value -> memory reused after its last use
  std::vector<bool> gradReused_;  ///< value -> gradient memory in the arena
  BufferStats bufferStats_;
  std::vector<int> tape_;
  std::vector<std::shared_ptr<void>> state_;
  std::vector<std::vector<dnnl::memory::desc>> gradInMd_;
  std::vector<std::vector<GradEdge>> edges_;  ///< per node, per input
  std::vector<dnnl::memory> scratch_;
  std::vector<NodeInfo> info_;
  std::vector<int> targets_;
  NodeObserver* observer_ = nullptr;
  uint64_t step_ = 0;
  uint64_t seed_ = 0;
  int64_t bytes_ = 0;
  int allocNode_ = -1;  ///< node whose buffers are being allocated (errors)
};

}  // namespace tapeflow
