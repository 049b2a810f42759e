// bench/bench_support.h - shared pieces of tapeflow_bench: one-op graphs,
// plans prepared outside the timed loop, random inputs, counters, labels.
//
// Conventions of every benchmark in this directory:
//   - the Program, the ParamStore and the Plan (every primitive created,
//     every buffer allocated) are built before the timed loop; the loop runs
//     only Plan::forward() / Plan::backward() (each ends in stream.wait());
//   - BM_<Op>_Forward times an inference plan (forward_inference
//     primitives); BM_<Op>_Backward times backward() of a training plan
//     whose gradient target is the op's output, run forward and seeded once
//     before the loop;
//   - items_per_second counts images (samples of the batch);
//   - `GFLOP/s` divides FLOPs per iteration (Program::flopsPerSample x batch
//     for forward) by the time of an iteration;
//   - `reorders` is the number of layout conversions the plan runs per
//     forward (+ backward in training), as counted at prepare;
//   - the label names the oneDNN implementations the ops recorded
//     (Plan::nodeInfo) and the layouts of the op's data input and output.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <oneapi/dnnl/dnnl.hpp>

#include "core/graph.h"
#include "core/param_store.h"
#include "core/plan.h"
#include "core/program.h"

namespace tapeflow::bench {

/// The batch sizes of the LeNet shapes.
inline const std::vector<int64_t> kLeNetBatches = {1, 64, 256};

/// One input of the op under test. dims[0] == -1 makes it a graph input that
/// follows the batch size (an activation, filled with random data); any
/// other dims make it a parameter (random values).
struct Operand {
  Dims dims;
  DType dtype = DType::F32;
  bool trainable = true;  ///< parameters only: gets a gradient in backward
};

/// An op with fixed attributes and operand shapes; the batch is left open.
struct OpCase {
  std::string op;
  std::map<std::string, AttrValue> attrs;
  std::vector<Operand> operands;
  /// Backward also computes the gradients of the batch-following F32
  /// inputs (as for every layer of a model but the first).
  bool inputGrads = true;
  /// Backward FLOPs / forward FLOPs for the GFLOP/s counter of the backward
  /// benchmark; 0: no GFLOP/s counter (memory-bound ops).
  double backwardFlopsFactor = 0;
  /// Class count for I32 (label) operands.
  int labelRange = 10;
};

/// The one-node graph of `c`: operand i is value "in<i>", the op's outputs
/// are "out0", "out1", ... (all requested).
Graph oneOpGraph(const OpCase& c);

/// A plan of one op, ready to run: random parameters, random inputs, and in
/// training mode every F32 output is a gradient target seeded with random
/// values (so backward() can run as soon as forward() has).
struct OpPlan {
  std::shared_ptr<const Program> program;
  std::unique_ptr<ParamStore> store;
  std::unique_ptr<Plan> plan;
  int node = 0;

  OpPlan(const OpCase& c, int64_t batch, Mode mode);
};

/// A whole model file (models/<name>.pbtxt) loaded, validated and with its
/// parameters initialised; plans are made by the caller.
struct Model {
  std::shared_ptr<const Program> program;
  std::unique_ptr<ParamStore> store;

  explicit Model(const std::string& name);
};

/// models/<name>.pbtxt under the source tree.
std::string modelPath(const std::string& name);

/// Fills every graph input of the plan: F32 uniform in [low, high), I32
/// uniform in [0, labelRange).
void fillInputs(Plan& plan, uint64_t seed, float low, float high,
                int labelRange);

/// Forward FLOPs of the plan's active nodes at its batch size.
double forwardFlops(const Plan& plan);

/// Reorders of the plan's active nodes per forward (+ backward).
int totalReorders(const Plan& plan);

/// A memory layout the way oneDNN's verbose mode spells it, with NCHW
/// letters for rank 4 and 2: "nchw", "nChw16c", "nhwc", "nc", "any".
std::string layoutStr(const dnnl::memory::desc& md);

/// "<implInfo> | src <layout> dst <layout>" of one node.
std::string opLabel(const Plan& plan, int node);

/// The distinct implementations of a whole plan, node by node, compacted
/// ("conv1 jit:avx2 pool1 jit:avx ...").
std::string modelLabel(const Plan& plan);

/// Marks the benchmark as failed (SkipWithError) and makes tapeflow_bench
/// exit with status 1 once every benchmark has run, so the smoke test fails.
void fail(benchmark::State& state, const std::string& message);

/// Sets items_per_second (images), `GFLOP/s` (when flopsPerIteration > 0)
/// and `reorders`.
void setCounters(benchmark::State& state, int64_t imagesPerIteration,
                 double flopsPerIteration, int reorders);

/// Registers BM_<op>_Forward/n<batch>_<shape> and
/// BM_<op>_Backward/n<batch>_<shape> for each batch size. `name` is the op
/// name used in the benchmark names (normally c.op).
void registerOpBenchmarks(const std::string& name, const std::string& shape,
                          const OpCase& c, const std::vector<int64_t>& batches);

}  // namespace tapeflow::bench
