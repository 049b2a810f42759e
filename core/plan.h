// core/plan.h - a Program prepared for one batch size and mode: every
// primitive created, every buffer allocated, ready to run many steps.
//
// forward() executes the active nodes in topological order and, in training
// mode, records them on the tape; backward() replays the tape in reverse,
// seeds the loss gradient, accumulates gradients of values with several
// consumers and sums broadcast gradients down to their input's shape.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

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
  /// Fold activations into their producer as oneDNN post-ops.
  bool fuse = true;
  /// Time every node (two clock reads and a stream wait per node and
  /// direction; see NodeStats and Plan::setEventSink).
  bool profile = false;
  /// Check every node's outputs for NaN/Inf after it runs.
  bool checkNumerics = false;
};

/// Per-node timing, filled when PlanOptions::profile is set.
struct NodeStats {
  double forwardMs = 0;
  double backwardMs = 0;
  int64_t forwardCalls = 0;
  int64_t backwardCalls = 0;
  int reorders = 0;  ///< reorders this node runs per forward+backward
};

/// One timed node call: the interval NodeStats adds up, recorded when
/// PlanOptions::profile is set and an event sink is attached (see
/// Plan::setEventSink). Fused nodes run no forward and record none.
struct NodeEvent {
  int node = -1;
  bool backward = false;
  std::chrono::steady_clock::time_point start, end;
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

class Plan {
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

  const Program& program() const { return *program_; }
  const PlanOptions& options() const { return options_; }
  Mode mode() const { return options_.mode; }
  int64_t batch() const { return options_.batch; }
  const Dims& dims(int value) const { return dims_.at(value); }
  const dnnl::memory::desc& desc(int value) const { return md_.at(value); }
  bool active(int node) const { return active_.at(node); }
  bool fused(int node) const { return fusedInto_.at(node) >= 0; }
  int fusedInto(int node) const { return fusedInto_.at(node); }
  bool runsBackward(int node) const { return runsBackward_.at(node); }
  bool valueNeedsGrad(int value) const { return needsGrad_.at(value); }
  /// Active nodes in execution order.
  const std::vector<int>& order() const { return order_; }
  const std::vector<int>& tape() const { return tape_; }
  const NodeStats& stats(int node) const { return stats_.at(node); }
  void resetStats();
  /// With PlanOptions::profile, appends one NodeEvent per timed node call
  /// to *sink (nullptr: none). The caller owns the vector and reserves it,
  /// so recording is one push_back per call. No effect without profile.
  void setEventSink(std::vector<NodeEvent>* sink) { events_ = sink; }
  /// oneDNN implementation names recorded by ops in prepare ("" if none).
  const std::string& implInfo(int node) const { return impl_.at(node); }
  void setImplInfo(int node, std::string info) { impl_.at(node) = std::move(info); }
  /// Step counter used to derive per-step random seeds (dropout).
  void setStep(uint64_t step) { step_ = step; }
  uint64_t step() const { return step_; }
  void setSeed(uint64_t seed) { seed_ = seed; }
  uint64_t seed() const { return seed_; }
  /// Total bytes of activation and gradient buffers this plan allocated.
  int64_t bytesAllocated() const { return bytes_; }

 private:
  friend class PrepareContext;
  friend class ExecContext;
  friend class GradContext;

  void markActive();
  void markGradients();
  void planFusion();
  void prepareNodes();
  void allocateGradients();
  void runEdge(GradEdge& e);
  void checkFinite(int node, bool backwardPass);
  dnnl::memory allocate(const dnnl::memory::desc& md);

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
  std::vector<int> order_;
  std::vector<int> tape_;
  std::vector<std::shared_ptr<void>> state_;
  std::vector<std::vector<dnnl::memory::desc>> gradInMd_;
  std::vector<std::vector<GradEdge>> edges_;  ///< per node, per input
  std::vector<dnnl::memory> scratch_;
  std::vector<NodeStats> stats_;
  std::vector<std::string> impl_;
  std::vector<int> targets_;
  std::vector<NodeEvent>* events_ = nullptr;
  uint64_t step_ = 0;
  uint64_t seed_ = 0;
  int64_t bytes_ = 0;
};

}  // namespace tapeflow
