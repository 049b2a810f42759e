// tools/analysis/profiler.h - `tapeflow profile`: per-node forward and
// backward times of a model over timed training (or inference) steps, with
// FLOPs, achieved GFLOP/s against a measured sgemm peak, the oneDNN
// implementation and reorders of every node, the optimizer and data rows,
// and a Chrome trace of every timed step.
//
// A run uses two plans of the model: one observed by a node timer (every
// node timed, with a stream wait after it) and one without, whose
// step time is the real one; the difference between the two is the
// instrumentation overhead. Each plan runs `warmup` untimed steps, then
// both run `steps` timed steps in alternating blocks of 5, so that a change
// in the machine's load affects both alike. A step is the trainer's own
// TrainStep (train/train_step.h), observed: data (waiting for the batcher
// and copying the batch into the inputs), forward, backward, gradient
// clipping and the optimizer update (training), or data and forward
// (inference). Under mpirun (options.comm with several ranks) each rank
// runs its slice of the batch and the step gains the gradient allreduce
// between backward and the optimizer, timed as its own row.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/plan.h"
#include "core/program.h"
#include "train/distributed/communicator.h"
#include "train/solver.h"

namespace tapeflow {

struct ProfileOptions {
  int steps = 20;           ///< timed steps per pass (>= 1)
  int warmup = 5;           ///< untimed steps before each pass (>= 0)
  bool inference = false;   ///< forward only, inference plan, no optimizer
  /// MNIST-style directory to read batches from (its "train" split, through
  /// the Batcher with the solver's transforms); empty: random inputs.
  std::string dataDir;
  /// Batch size, optimizer (SGD with momentum 0.9 by default), clipping,
  /// schedule, seed, data transforms and input names; its data dir is
  /// ignored (see dataDir).
  SolverConfig solver;
  /// Side of the square sgemm timed for the machine peak; 0: not measured.
  int64_t peakSize = 2048;
  int peakRuns = 5;         ///< the best of this many sgemm runs
  bool fuse = true;         ///< PlanOptions::fuse of both plans
  /// Data-parallel ranks (null or one rank: a single process); every rank
  /// calls profileModel, the batch is the global one.
  std::shared_ptr<Communicator> comm;
};

/// One active node, in execution order. Times are means per timed step.
struct NodeProfile {
  int node = -1;
  std::string name, op;
  double forwardMs = 0, backwardMs = 0;
  double share = 0;          ///< (forward + backward) / instrumented step
  /// Per step: Program::flopsPerSample x batch forward; backward counts 2x
  /// forward for Conv2D, Linear and MatMul (data and weight gradients), 1x
  /// for other ops; 0 for nodes that run no backward.
  double forwardFlops = 0, backwardFlops = 0;
  /// FLOPs executed by this node's own calls per second of their time (a
  /// fused node's forward runs inside its producer, so only its backward
  /// counts); 0 when nothing was timed.
  double gflops = 0;
  double peakShare = 0;      ///< gflops / peak (0 without a peak)
  std::string impl;          ///< Plan::nodeInfo(node).impl
  int reorders = 0;          ///< Plan::nodeInfo(node).reorders
  int threads = 0;           ///< Plan::threads(node): 1 for a tiny node
  bool fused = false;        ///< activation folded into its producer
  std::string fusedInto;     ///< the producer's name
  bool backward = false;     ///< runs a backward pass
};

/// One complete slice ("ph":"X") of the Chrome trace; times in
/// microseconds from the start of the first timed step.
struct TraceEvent {
  std::string name;
  std::string cat;   ///< step, pass, forward, backward, optimizer, data
  double ts = 0, dur = 0;
  int step = 0;      ///< timed step, from 1
  std::string op, impl;  ///< node slices only
  std::string note;      ///< e.g. "fused into conv1"
  int tid = 1;           ///< 1: instrumented steps, 2: uninstrumented steps
};

struct ProfileReport {
  std::string model;
  int64_t batch = 0;
  int steps = 0, warmup = 0;
  bool inference = false;
  int threads = 0;
  std::string data;           ///< "random" or the data directory
  std::string optimizer;      ///< "" for inference
  double loadAverage = -1;    ///< 1-minute load when the run started (-1: unknown)

  std::vector<NodeProfile> nodes;
  std::vector<std::string> pruned;  ///< nodes that feed nothing this run computes

  // Means per step of the instrumented pass. nodes + optimizer + data +
  // untimed = instrumented total; "untimed" is the time between timed
  // parts (the walk over the tape, gradient seeding, loop and clock reads).
  double nodesMs = 0, optimizerMs = 0, dataMs = 0, untimedMs = 0;
  /// Several ranks: the gradient allreduce (pack, MPI_Allreduce, unpack)
  /// once every rank has reached it, and the wait for the slowest rank
  /// before it (a one-float allreduce); its ranks and bytes.
  double allreduceMs = 0, rankWaitMs = 0;
  int ranks = 1;
  int64_t gradientBytes = 0;
  double instrumentedMs = 0, instrumentedMedianMs = 0;
  // The pass without profiling: the real step time.
  double uninstrumentedMs = 0, uninstrumentedMedianMs = 0;
  /// instrumentedMedianMs / uninstrumentedMedianMs - 1 (medians: robust to
  /// the odd preempted step on a shared machine).
  double overhead = 0;
  double imagesPerSecond = 0;  ///< (global) batch / uninstrumented mean step
  double stepFlops = 0;        ///< all nodes' FLOPs per step
  double peakGflops = 0;       ///< 0 when not measured
  int64_t peakSize = 0;
  /// Bytes of the step's plan (activations, gradients, workspaces:
  /// Plan::bytesAllocated) and of the parameter arenas (parameters and
  /// gradients, ParamStore::arenaSize; optimizer state not counted).
  int64_t planBytes = 0, arenaBytes = 0;
  /// The node outputs' buffers (Plan::bufferStats; inference plans share
  /// them by liveness, arenaBytes 0 in training).
  Plan::BufferStats buffers;
  int reorders = 0;  ///< layout conversions per step, all nodes

  /// Every timed step: the instrumented ones with their parts and nodes
  /// (tid 1), the uninstrumented ones as bare "uninstrumented" slices (tid 2).
  std::vector<TraceEvent> trace;
};

/// Profiles a model; `name` labels the report. Throws tapeflow::Error for
/// bad options, a training run of a graph without a loss, or bad data.
ProfileReport profileModel(std::shared_ptr<const Program> program,
                           const ProfileOptions& options,
                           const std::string& name);

/// Times a size x size x size oneDNN sgemm (dnnl_sgemm) at the current
/// thread count, `runs` times after one warm-up run; the best GFLOP/s.
double measurePeakGflops(int64_t size, int runs);

/// The report's trace in Chrome trace event format: {"traceEvents": [...]}
/// with "X" slices (ts and dur in microseconds): on tid 1 node slices nested
/// in "forward"/"backward" pass slices nested in "step N" slices, on tid 2
/// the uninstrumented steps.
/// Opens in chrome://tracing and https://ui.perfetto.dev.
std::string traceJson(const ProfileReport& report);

/// Writes traceJson to a file; IoError when it cannot be written.
void writeTrace(const ProfileReport& report, const std::string& path);

}  // namespace tapeflow
