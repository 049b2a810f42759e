// tests/support/op_harness.h - the support API of the op tests: host
// tensors, graphs built in code, plans kept alive between calls, one-op runs
// (plain or with inputs handed over in a blocked layout), and gradients
// checked against central finite differences.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <vector>

#include "core/graph.h"
#include "core/op_def.h"
#include "core/param_store.h"
#include "core/plan.h"
#include "core/program.h"

namespace tapeflow::testing {

// ---------------------------------------------------------------- tensors

/// A plain row-major host tensor (I32 values are stored as floats).
struct HostTensor {
  Dims dims;
  std::vector<float> data;
  DType dtype = DType::F32;
};

/// Deterministic fill in [low, high); `distinct` spaces values apart so no
/// two are within (high-low)/(2n) of each other (max pooling ties).
HostTensor randomTensor(const Dims& dims, uint64_t seed, float low = -1.f,
                        float high = 1.f, bool distinct = false);
/// Integers in [0, range) stored as floats, dtype I32.
HostTensor randomLabels(const Dims& dims, uint64_t seed, int range);

/// Inputs for a sample case (seeded).
std::vector<HostTensor> sampleInputs(const SampleCase& c, uint64_t seed);

// ----------------------------------------------------------------- graphs

/// A trainable param holding `t`.
ParamDef paramOf(const std::string& name, const HostTensor& t);

/// A node with one output.
Node nodeOf(const std::string& name, const std::string& op,
            std::vector<std::string> inputs, const std::string& output,
            std::map<std::string, AttrValue> attrs = {});

/// Builds a one-node graph for `op` with the given inputs; F32 inputs become
/// trainable params named in0, in1, ... (constants for the inputs the op
/// updates in place, OpDef::stateInputs); I32 inputs become graph inputs.
/// Outputs are out0, out1, ...
Graph oneOpGraph(const std::string& op,
                 const std::map<std::string, AttrValue>& attrs,
                 const std::vector<HostTensor>& inputs, int numOutputs);

/// The outputs a one-op graph of `op` lists: what the attributes imply
/// (OpDef::outputCountFor), else the op's minimum.
int outputCount(const std::string& op, const std::map<std::string, AttrValue>& attrs);

/// Test-only op "ToLayout": dst = src, held in the format tag of attribute
/// `tag` (default nChw8c), as a conv or pooling producer hands it over. Its
/// gradient leaves in that layout too; the engine converts it.
const OpDef& toLayoutOp();

/// Every registered op plus ToLayout.
const OpRegistry& testRegistry();

/// Routes input `input` of g.nodes[node] through a new ToLayout(`tag`)
/// node, appended to g.nodes.
void insertLayout(Graph& g, size_t node, size_t input,
                  dnnl::memory::format_tag tag);

// ------------------------------------------------------------------ plans

/// A graph's program, its params (initialized with seed 0) and a plan,
/// kept alive together. Ops come from testRegistry().
struct GraphPlan {
  std::shared_ptr<const Program> program;
  std::unique_ptr<ParamStore> store;
  std::unique_ptr<Plan> plan;

  GraphPlan(const Graph& g, const PlanOptions& opts);
  /// Program and params only; the caller makes the plan.
  explicit GraphPlan(const Graph& g);

  /// Current values of param `name` (empty when there is none).
  std::vector<float> param(const std::string& name) const;
};

/// A one-node plan (see oneOpGraph) that stays alive between calls, for
/// tests that change the step, seed gradients by hand, or read parameters
/// an op updates in place (running statistics).
struct OneOpPlan : GraphPlan {
  /// Names of the op's F32 outputs; in training, the gradient targets.
  std::vector<std::string> f32Outputs;

  /// F32 inputs become params in0, in1, ...; those listed in `constants`
  /// are not trainable (like `constant: true` in a graph file); those in
  /// `layouts` reach the op in that format (through a ToLayout node, as
  /// from a Conv2D producer). I32 inputs are fed as graph inputs.
  OneOpPlan(const std::string& op,
            const std::map<std::string, AttrValue>& attrs,
            const std::vector<HostTensor>& inputs, Mode mode,
            const std::vector<int>& constants = {},
            const std::map<int, dnnl::memory::format_tag>& layouts = {});

  using GraphPlan::param;
  /// Current values of the param fed to input i.
  std::vector<float> param(int input) const;

  /// Forward, then backward with output 0's gradient set to `seed` (plain;
  /// empty: all ones); returns the gradient of input i for each i in
  /// `wanted`.
  std::map<int, std::vector<float>> gradients(const std::vector<int>& wanted,
                                              std::vector<float> seed = {});

  /// The layout the op chose for output 0.
  dnnl::memory::desc outputDesc() const;

  /// Every graph output as plain host data (after forward).
  std::vector<HostTensor> outputs() const;
};

// ------------------------------------------------------------------- runs

/// Runs the op forward (inference mode unless `training`) and returns every
/// output as plain host data.
std::vector<HostTensor> runOp(const std::string& op,
                              const std::map<std::string, AttrValue>& attrs,
                              const std::vector<HostTensor>& inputs,
                              bool training = false);

/// Output and input gradients of one runWithLayout (plain row-major).
struct LayoutRun {
  std::vector<float> output;
  std::vector<std::vector<float>> grads;  ///< per input (training only)
  dnnl::memory::desc outputDesc;          ///< the layout the op produced
  std::string impl;                       ///< the op's NodeInfo::impl
  int reorders = 0;                       ///< the op's NodeInfo::reorders
};

/// Runs `op` on F32 `inputs`; input i first goes through ToLayout(`tag`)
/// when blocked[i]. Training: seeds d output 0 = `seed` and runs backward
/// too.
LayoutRun runWithLayout(const std::string& op,
                        const std::map<std::string, AttrValue>& attrs,
                        const std::vector<HostTensor>& inputs,
                        const std::vector<bool>& blocked,
                        dnnl::memory::format_tag tag,
                        const std::vector<float>& seed, bool training = true);

/// Outputs and param gradients of one runGraph.
struct GraphRun {
  std::map<std::string, std::vector<float>> values;  ///< outputs, plain
  std::map<std::string, Dims> dims;                  ///< of the outputs
  std::map<std::string, dnnl::memory::desc> descs;   ///< output layouts
  std::map<std::string, std::vector<float>> seeds;   ///< r per output
  std::map<std::string, std::vector<float>> grads;   ///< per param, plain
};

/// Runs `g` (training, batch 1) forward, then backward for the objective
/// sum over outputs of r * out with fixed-seed random r.
GraphRun runGraph(Graph g, uint64_t seed = 11);

// -------------------------------------------------------- gradient check

struct GradCheckResult {
  bool ok = true;
  double worst = 0;     ///< worst relative error seen
  int checked = 0;      ///< elements compared
  std::string report;   ///< first failure, with every value involved
};

/// Compares backward against central differences of sum_i r_i * y_i with a
/// fixed-seed random r, for every F32 input (every element up to 1000, a
/// seeded sample above). Points within kinkRange of kink are skipped.
GradCheckResult gradCheck(const std::string& op,
                          const std::map<std::string, AttrValue>& attrs,
                          const std::vector<HostTensor>& inputs,
                          const SampleCase& opts, uint64_t seed = 1234);

}  // namespace tapeflow::testing
