// tools/main.cpp - `tapeflow <command> ...`: dispatch and the error boundary
// (every tapeflow::Error becomes one line on stderr and its exit code).
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <string>

#include "core/error.h"
#include "tools/cli.h"

namespace {

constexpr const char* kUsage = R"(usage: tapeflow <command> [options]

commands:
  summary FILE            table of nodes, output shapes, parameters, FLOPs
  graph FILE --dot [-o OUT]  Graphviz DOT of the graph (stdout or OUT)
  check FILE              validate and shape-check a graph; print its values
  gradcheck FILE [--batch N] [--directions K] [--seed S] [--step H] [--tolerance T]
                          compare analytic gradients with finite differences
  train --model FILE [--solver FILE] [--out DIR | --resume DIR] [flags]
                          train a model (tapeflow train --help lists the flags)
  eval --model FILE --checkpoint FILE [--data DIR]
                          test accuracy and confusion matrix of a checkpoint
  predict --model FILE --checkpoint FILE IMAGE
                          classify a PGM or PNG image of a digit
  profile FILE [--batch N] [--steps N] [--inference] [--data DIR] [--trace OUT.json]
                          time every node forward and backward (--help: all flags)
  export --model FILE [--checkpoint CKPT] -o OUT.onnx
                          write the inference graph and weights as ONNX
  import MODEL.onnx -o OUT.pbtxt [--checkpoint-out CKPT] [--add-loss softmax_cross_entropy]
                          read an ONNX model as a graph (and checkpoint)
  ops                     list every op with its inputs and attributes
  help                    this text

FILE is a graph in protobuf text (.pbtxt) or binary (.pb) form.
)";

}  // namespace

int main(int argc, char** argv) {
  using namespace tapeflow;
  if (argc < 2 || !std::strcmp(argv[1], "help") || !std::strcmp(argv[1], "--help") ||
      !std::strcmp(argv[1], "-h")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::string cmd = argv[1];
  try {
    cli::Args a = cli::parseArgs(argc, argv, 2, {"dot", "help", "inference", "nesterov", "quiet"});
    if (cmd == "summary") return cli::cmdSummary(a);
    if (cmd == "graph") return cli::cmdGraph(a);
    if (cmd == "check") return cli::cmdCheck(a);
    if (cmd == "gradcheck") return cli::cmdGradcheck(a);
    if (cmd == "ops") return cli::cmdOps(a);
    if (cmd == "train") return cli::cmdTrain(a);
    if (cmd == "eval") return cli::cmdEval(a);
    if (cmd == "predict") return cli::cmdPredict(a);
    if (cmd == "profile") return cli::cmdProfile(a);
    if (cmd == "export") return cli::cmdExport(a);
    if (cmd == "import") return cli::cmdImport(a);
    std::fprintf(stderr, "tapeflow: error: unknown command '%s'; run 'tapeflow help'\n",
                 cmd.c_str());
    return 2;
  } catch (const Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return static_cast<int>(e.exitCode());
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "tapeflow: error: out of memory\n");
    return 3;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tapeflow: internal error: %s\n", e.what());
    return 1;
  }
}
