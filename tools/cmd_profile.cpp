// tools/cmd_profile.cpp - `tapeflow profile`: per-node times, FLOP rates
// against the machine's sgemm peak, and an optional Chrome trace.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/dnnl_context.h"
#include "core/path_guard.h"
#include "tools/analysis/profiler.h"
#include "train/distributed/communicator.h"
#include "tools/cli.h"
#include "tools/memory_flags.h"

namespace tapeflow::cli {
namespace {

constexpr const char* kProfileUsage =
    "tapeflow profile MODEL [--batch 64] [--steps 20] [--warmup 5] [--inference] "
    "[--data DIR] [--trace OUT.json] [--threads N] [--solver FILE] [--peak-size 2048] "
    "[--no-fuse]";

void printReport(const ProfileReport& r) {
  int wName = 4, wOp = 2;
  for (const NodeProfile& n : r.nodes) {
    wName = std::max(wName, int(n.name.size()));
    wOp = std::max(wOp, int(n.op.size()));
  }
  wName = std::max(wName, 24);
  std::printf("%-*s %-*s %9s %9s %7s %10s %9s %7s %8s %3s  %s\n", wName, "node", wOp, "op",
              "fwd ms", "bwd ms", "% step", "MFLOP", "GFLOP/s", "% peak", "reorders",
              "thr", "impl");
  for (const NodeProfile& n : r.nodes) {
    char bwd[32], peak[32];
    if (n.backward)
      std::snprintf(bwd, sizeof bwd, "%9.3f", n.backwardMs);
    else
      std::snprintf(bwd, sizeof bwd, "%9s", "-");
    if (r.peakGflops > 0 && n.gflops > 0)
      std::snprintf(peak, sizeof peak, "%6.1f%%", 100.0 * n.peakShare);
    else
      std::snprintf(peak, sizeof peak, "%7s", "-");
    std::string impl = n.fused ? "fused into " + n.fusedInto
                               : (n.impl.empty() ? std::string("-") : n.impl);
    std::printf("%-*s %-*s %9.3f %s %6.1f%% %10.2f %9.2f %s %8d %3d  %s\n", wName,
                n.name.c_str(), wOp, n.op.c_str(), n.forwardMs, bwd, 100.0 * n.share,
                (n.forwardFlops + n.backwardFlops) * 1e-6, n.gflops, peak, n.reorders,
                n.threads, impl.c_str());
  }
  auto row = [&](const char* label, double ms, const std::string& note) {
    std::printf("%-*s %9.3f ms %6.1f%%%s%s\n", wName + wOp + 1, label, ms,
                r.instrumentedMs > 0 ? 100.0 * ms / r.instrumentedMs : 0.0,
                note.empty() ? "" : "  ", note.c_str());
  };
  std::printf("\n");
  row("nodes (sum)", r.nodesMs, "");
  if (!r.inference) row("optimizer", r.optimizerMs, r.optimizer + " update, clipping");
  if (!r.inference && r.ranks > 1) {
    char note[128];
    std::snprintf(note, sizeof note, "MPI_Allreduce of %.2f MB of gradients over %d ranks",
                  double(r.gradientBytes) * 1e-6, r.ranks);
    row("allreduce", r.allreduceMs, note);
    row("wait for ranks", r.rankWaitMs, "until the slowest rank reaches the allreduce");
  }
  row("data", r.dataMs, r.data == "random" ? "copy of a random batch"
                                           : "loader wait and copy, " + r.data);
  row("untimed", r.untimedMs, "between timed parts: tape walk, loop, clock reads");
  char median[64];
  std::snprintf(median, sizeof median, "median %.3f ms", r.instrumentedMedianMs);
  row("total (instrumented)", r.instrumentedMs, median);
  std::printf("%-*s %9.3f ms          median %.3f ms, profiling off\n", wName + wOp + 1,
              "total (uninstrumented)", r.uninstrumentedMs, r.uninstrumentedMedianMs);
  double overhead = 100.0 * r.overhead;
  if (std::fabs(overhead) < 0.05) overhead = 0;  // no "-0.0%"
  std::printf("instrumentation overhead: %.1f%% (median step, instrumented vs not)\n",
              overhead);
  std::printf("throughput: %.0f images/s (uninstrumented); %.1f MFLOP per step, %.2f "
              "GFLOP/s\n",
              r.imagesPerSecond, r.stepFlops * 1e-6,
              r.uninstrumentedMs > 0 ? r.stepFlops / (r.uninstrumentedMs * 1e6) : 0.0);
  std::printf("memory: %.1f MiB of plan buffers (activations, gradients, workspaces), "
              "%.1f MiB of parameter and gradient arenas; %d reorders per step\n",
              double(r.planBytes) / (1 << 20), double(r.arenaBytes) / (1 << 20), r.reorders);
  if (r.buffers.arenaBytes > 0)
    std::printf("buffers by liveness: %lld bytes of values share %lld bytes (peak live %lld "
                "bytes)\n",
                static_cast<long long>(r.buffers.valueBytes),
                static_cast<long long>(r.buffers.arenaBytes),
                static_cast<long long>(r.buffers.livePeakBytes));
  if (r.peakGflops > 0)
    std::printf("peak: %.1f GFLOP/s (dnnl_sgemm %lldx%lldx%lld, best run, threads: %d)\n",
                r.peakGflops, static_cast<long long>(r.peakSize),
                static_cast<long long>(r.peakSize), static_cast<long long>(r.peakSize),
                r.threads);
  if (!r.pruned.empty()) {
    std::string names;
    for (const std::string& n : r.pruned) names += (names.empty() ? "" : ", ") + n;
    std::printf("not run (feed no %s): %s\n",
                r.inference ? "prediction" : "loss or prediction", names.c_str());
  }
}

}  // namespace

int cmdProfile(const Args& a) {
  requirePositional(a, 1, kProfileUsage);
  const std::string path = a.positional[0];
  auto program = loadProgram(path);
  if (a.has("trace")) {  // fail before the run, not after it
    std::filesystem::path dir = std::filesystem::path(a.get("trace")).parent_path();
    if (a.get("trace").empty() || (!dir.empty() && !std::filesystem::is_directory(dir)))
      throw IoError({a.get("trace"), 0, 0}, "", "",
                    "cannot write the trace file: no such directory");
    checkOutputsAgainstInputs({{a.get("trace"), "--trace", false}},
                              {{path, "model", false},
                               {a.get("solver"), "solver", false},
                               {a.get("data"), "data directory", true}});
  }
  ProfileOptions o;
  o.comm = openWorld(300);
  const bool root = o.comm->rank() == 0;
  if (a.has("solver")) o.solver = loadSolverFile(a.get("solver"));
  o.solver.batchSize = a.getInt("batch", a.has("solver") ? o.solver.batchSize : 64);
  o.steps = int(a.getInt("steps", o.steps));
  o.warmup = int(a.getInt("warmup", o.warmup));
  o.inference = a.has("inference");
  o.dataDir = a.get("data");
  o.peakSize = a.getInt("peak-size", o.peakSize);
  o.fuse = a.get("fuse") != "false";
  checkMemoryFlag(a, *program, o.solver, !o.inference, path);
  int threads = int(a.getInt("threads", o.solver.threads));
  if (threads < 0 || o.peakSize < 0)
    throw UsageError({}, "", "", "--threads and --peak-size must not be negative");
  setNumThreads(threads);
  if (root) {
    std::printf("profile %s: %s, batch %lld, %d timed steps after %d warm-up, threads: %d, %s "
                "data%s%s\n",
                path.c_str(), o.inference ? "inference" : "training",
                static_cast<long long>(o.solver.batchSize), o.steps, o.warmup, numThreads(),
                o.dataDir.empty() ? "random" : o.dataDir.c_str(),
                o.inference ? "" : (", " + o.solver.optimizer).c_str(),
                o.fuse ? "" : ", fusion off");
    if (o.comm->size() > 1)
      std::printf("data parallel: %s; times are rank 0's, the batch is split over the ranks\n",
                  o.comm->describe().c_str());
    std::fflush(stdout);
  }
  ProfileReport r =
      profileModel(program, o, std::filesystem::path(path).filename().string());
  if (!root) return 0;
  if (r.loadAverage >= 0)
    std::printf("load average at start: %.2f (other work on the machine skews times)\n",
                r.loadAverage);
  std::printf("times are means per step; %% step is of the instrumented step\n\n");
  printReport(r);
  if (a.has("trace")) {
    writeTrace(r, a.get("trace"));
    std::printf("trace: %s (%zu slices; open in chrome://tracing or ui.perfetto.dev)\n",
                a.get("trace").c_str(), r.trace.size());
  }
  return 0;
}

}  // namespace tapeflow::cli
