// tools/commands.cpp - every subcommand's arguments, their defaults and
// help (the bodies live in cmd_*.cpp), and `tapeflow --version`.
#include <dnnl.hpp>

#include <CLI/CLI.hpp>

#include "tools/analysis/model_report.h"
#include "tools/analysis/profiler.h"
#include "tools/cli.h"

namespace tapeflow::cli {
namespace {

const char* isaName(dnnl::cpu_isa isa) {
  using I = dnnl::cpu_isa;
  switch (isa) {
    case I::sse41: return "SSE4.1";
    case I::avx: return "AVX";
    case I::avx2: return "AVX2";
    case I::avx2_vnni: return "AVX2 with VNNI";
    case I::avx512_mic: return "AVX-512 (Xeon Phi)";
    case I::avx512_mic_4ops: return "AVX-512 (Xeon Phi, 4FMAPS/4VNNIW)";
    case I::avx512_core: return "AVX-512 (core)";
    case I::avx512_core_vnni: return "AVX-512 with VNNI";
    case I::avx512_core_bf16: return "AVX-512 with VNNI and BF16";
    case I::avx512_core_amx: return "AVX-512 with VNNI, BF16 and AMX";
    case I::all: return "all (no limit)";
  }
  return "unknown";
}

constexpr const char* kMemLimitHelp =
    "refuse a run whose estimated memory exceeds SIZE (512M, 2G: powers of 1024)";

std::string str(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

std::string versionText() {
  const dnnl_version_t* v = dnnl_version();
  std::string hash = v->hash && std::string(v->hash) != "N/A"
                         ? std::string(" (commit ") + v->hash + ")" : "";
  char buf[256];
  std::snprintf(buf, sizeof buf, "tapeflow %s\noneDNN %d.%d.%d%s\nCPU ISA: %s\n",
                TAPEFLOW_VERSION, v->major, v->minor, v->patch, hash.c_str(),
                isaName(dnnl::get_effective_cpu_isa()));
  return buf;
}

std::vector<std::unique_ptr<Command>> declareCommands(CLI::App& root) {
  std::vector<std::unique_ptr<Command>> c;
  auto add = [&](const char* name, const char* help, Command::Run run) -> Command& {
    c.push_back(std::make_unique<Command>(root, name, help, std::move(run)));
    return *c.back();
  };
  add("summary", "table of nodes, output shapes, parameters, FLOPs, memory", cmdSummary)
      .positional("FILE", "graph file (.pbtxt or .pb)")
      .option("batch", "--batch", "N", "batch size of the memory estimate", "64");
  add("graph", "Graphviz DOT of the graph (stdout, or the file of --out)", cmdGraph)
      .positional("FILE", "graph file (.pbtxt or .pb)")
      .flag("dot", "DOT output (the only format; accepted for compatibility)")
      .option("output", "-o,--out,--output", "OUT", "write the DOT to this file", "stdout");
  add("check", "validate and shape-check a graph; print its values and memory", cmdCheck)
      .positional("FILE", "graph file (.pbtxt or .pb)")
      .option("batch", "--batch", "N", "batch size of the memory estimate", "64");
  const ModelGradCheckOptions g;
  add("gradcheck", "compare analytic gradients with finite differences", cmdGradcheck)
      .positional("FILE", "graph file with a loss")
      .option("batch", "--batch", "N", "batch size of the random inputs",
              std::to_string(g.batch))
      .option("directions", "--directions", "K", "directions checked per parameter",
              std::to_string(g.directions))
      .option("seed", "--seed", "S", "seed of initialisation, inputs and directions",
              std::to_string(g.seed))
      .option("step", "--step", "H", "largest change of any element", str(g.step))
      .option("tolerance", "--tolerance", "T", "largest relative error accepted",
              str(g.tolerance));
  add("ops", "list every op with its inputs and attributes", cmdOps);
  add("train", "train a model", cmdTrain)
      .option("model", "--model", "FILE",
              "graph to train (.pbtxt or .pb); required unless --resume",
              "with --resume: the graph the run's checkpoints store")
      .option("out", "--out", "DIR",
              "new run directory (metrics.jsonl, curves.svg, checkpoints); must be empty",
              "runs/<model name>-<n>, the first free n")
      .flag("overwrite", "let --out replace the run directory already there")
      .option("resume", "--resume", "DIR",
              "continue the run in DIR from its latest checkpoint, with its recipe")
      .option("init-from", "--init-from", "CKPT", "start from this checkpoint's weights")
      .flag("init-skip-mismatched",
            "with --init-from: keep the initialisation of params missing or of other shape")
      .option("accumulate", "--accumulate", "K",
              "run each rank's slice of a batch as K micro-batches, one allreduce per step",
              "1")
      .option("check-replicas", "--check-replicas", "K",
              "under mpirun: compare a hash of the params across ranks every K steps", "0 (off)")
      .option("bucket-mb", "--bucket-mb", "MB",
              "under mpirun: allreduce the gradients in buckets of about MB MiB, overlapped "
              "with the backward pass (0: one allreduce after it)",
              "1")
      .option("collective-timeout", "--collective-timeout", "S",
              "under mpirun: stop every rank when a collective waits longer than S seconds",
              "300")
      .option("mem-limit", "--mem-limit", "SIZE", kMemLimitHelp, "available memory")
      .solverOptions();
  add("eval", "test accuracy, loss and confusion matrix of a checkpoint", cmdEval)
      .option("model", "--model", "FILE", "graph (.pbtxt or .pb)", "the checkpoint's graph")
      .option("checkpoint", "--checkpoint", "FILE", "checkpoint (.tfck); required")
      .option("mem-limit", "--mem-limit", "SIZE", kMemLimitHelp, "available memory")
      .solverOptions();
  add("predict", "classify a PGM, PNG, JPEG or BMP image of a digit", cmdPredict)
      .positional("IMAGE", "image file")
      .option("model", "--model", "FILE", "graph (.pbtxt or .pb)", "the checkpoint's graph")
      .option("checkpoint", "--checkpoint", "FILE", "checkpoint (.tfck); required")
      .option("top", "--top", "K", "classes printed", "3")
      .flag("raw", "only resize the image to the input: no inversion, cropping or centring")
      .solverOptions();
  const ProfileOptions p;
  add("profile", "time every node forward and backward", cmdProfile)
      .positional("MODEL", "graph file (.pbtxt or .pb)")
      .option("batch", "--batch", "N", "images per step",
              "64 (or the solver's)")
      .option("steps", "--steps", "N", "timed steps", std::to_string(p.steps))
      .option("warmup", "--warmup", "N", "untimed steps before timing", std::to_string(p.warmup))
      .flag("inference", "forward only, inference plan")
      .option("data", "--data", "DIR", "real batches from an MNIST-style directory", "random")
      .option("trace", "--trace", "FILE", "Chrome trace of the timed steps (ui.perfetto.dev)")
      .option("threads", "--threads", "N", "worker threads (0: all cores)", "0")
      .option("solver", "--solver", "FILE", "optimizer and data settings", "SGD, momentum 0.9")
      .option("peak-size", "--peak-size", "N", "side of the sgemm timed for the peak; 0 skips it",
              std::to_string(p.peakSize))
      .flagOn("fuse", "fuse as the trainer does (activations into their producer, chains "
                      "of elementwise nodes into one loop); --no-fuse runs every node alone")
      .option("mem-limit", "--mem-limit", "SIZE", kMemLimitHelp, "available memory");
  add("export", "write the inference graph and weights as ONNX (opset 13)", cmdExport)
      .option("model", "--model", "FILE", "graph (.pbtxt or .pb); required")
      .option("checkpoint", "--checkpoint", "CKPT", "weights to export", "initialised weights")
      .option("output", "-o,--out,--output", "OUT.onnx", "ONNX file to write; required");
  add("import", "read an ONNX model as a graph file (and a checkpoint)", cmdImport)
      .positional("MODEL", "ONNX file (.onnx)")
      .option("output", "-o,--out,--output", "OUT.pbtxt", "graph file to write; required")
      .option("checkpoint-out", "--checkpoint-out", "CKPT",
              "write the initializers as a checkpoint", "initializers inline")
      .option("add-loss", "--add-loss", "KIND",
              "append a training head: softmax_cross_entropy", "none")
      .option("label-name", "--label-name", "NAME", "label input of the added head", "label");
  for (auto& cmd : c) cmd->app().fallthrough(false);
  return c;
}

}  // namespace tapeflow::cli
