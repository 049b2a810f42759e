// tools/cmd_onnx.cpp - `tapeflow export` and `tapeflow import`: ONNX files
// to and from graph files plus checkpoints (frontends/onnx does the mapping;
// this file reads and writes the files around it).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/atomic_file.h"
#include "core/param_store.h"
#include "frontends/onnx/onnx_io.h"
#include "frontends/pbtxt/pbtxt_loader.h"
#include "ops/registry.h"
#include "tools/cli.h"
#include "train/checkpoint.h"
#include "train/solver.h"
#include "train/trainer.h"

#ifndef TAPEFLOW_VERSION
#define TAPEFLOW_VERSION "unknown"
#endif

namespace tapeflow::cli {
namespace {

namespace fs = std::filesystem;

std::string required(const Args& a, const char* flag, const char* usage) {
  if (!a.has(flag) || a.get(flag).empty())
    throw UsageError({}, "", "",
                     std::string(flag == std::string("output") ? "-o" : "--") +
                         (flag == std::string("output") ? "" : flag) +
                         " is required; usage: " + usage);
  return a.get(flag);
}

/// UsageError when `out` names the same file as one of `inputs`.
void refuseOverwrite(const std::string& out, const std::vector<std::string>& inputs) {
  std::error_code ec;
  for (const std::string& in : inputs)
    if (!in.empty() && fs::exists(out, ec) && fs::equivalent(out, in, ec))
      throw UsageError({out, 0, 0}, "", "",
                       "refusing to write over the input file '" + in + "'");
}

void requireOnnx() {
  if (!onnxio::available())
    throw UnsupportedError({}, "", "",
                           "this tapeflow was built without ONNX support (libonnx-dev was not "
                           "found at configure time; install it and reconfigure)");
}

std::string readAll(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw IoError({path, 0, 0}, "", "", "is a directory");
  std::ifstream f(path, std::ios::binary);
  if (!f) throw IoError({path, 0, 0}, "", "", "cannot open the file");
  std::ostringstream s;
  s << f.rdbuf();
  if (f.bad()) throw IoError({path, 0, 0}, "", "", "cannot read the file");
  return s.str();
}

/// The checkpoint's input transforms, for whoever feeds the exported model.
std::map<std::string, std::string> transformMetadata(const CheckpointData& ck,
                                                     const std::string& path) {
  std::map<std::string, std::string> m;
  if (ck.solverText.empty()) return m;
  SolverConfig s = parseSolverText(ck.solverText, path + " (solver text)");
  m["tapeflow.pad_to"] = std::to_string(s.padTo);
  m["tapeflow.normalize"] = s.normalize;
  std::ostringstream mean, stddev;
  mean << s.mean;
  stddev << s.stddev;
  m["tapeflow.mean"] = mean.str();
  m["tapeflow.stddev"] = stddev.str();
  return m;
}

}  // namespace

int cmdExport(const Args& a) {
  const char* usage = "tapeflow export --model FILE [--checkpoint CKPT] -o OUT.onnx";
  requireOnnx();
  std::string model = required(a, "model", usage), out = required(a, "output", usage);
  std::string ckpt = a.get("checkpoint");
  refuseOverwrite(out, {model, ckpt});
  auto program = loadProgram(model);
  ParamStore store(program);
  store.initialize(1);
  onnxio::ExportOptions o;
  o.producerVersion = TAPEFLOW_VERSION;
  if (!ckpt.empty()) {
    loadParams(ckpt, *program, store);
    o.metadata = transformMetadata(readCheckpoint(ckpt), ckpt);
  }
  onnxio::ParamValues values;
  for (int k = 0; k < store.numParams(); ++k)
    values[store.def(k).name].assign(store.data(k), store.data(k) + store.size(k));
  std::string bytes = onnxio::exportModel(*program, values, o);
  writeFileAtomically(out, bytes);
  std::printf("%s: ONNX opset %d, %zu bytes\n", out.c_str(), onnxio::exportOpset(*program),
              bytes.size());
  return 0;
}

int cmdImport(const Args& a) {
  const char* usage =
      "tapeflow import MODEL.onnx -o OUT.pbtxt [--checkpoint-out CKPT] "
      "[--add-loss softmax_cross_entropy [--label-name label]]";
  requirePositional(a, 1, usage);
  requireOnnx();
  const std::string& in = a.positional[0];
  std::string out = required(a, "output", usage), ckpt = a.get("checkpoint-out");
  refuseOverwrite(out, {in});
  if (!ckpt.empty()) refuseOverwrite(ckpt, {in});
  if (!ckpt.empty() && fs::absolute(ckpt).lexically_normal() == fs::absolute(out).lexically_normal())
    throw UsageError({out, 0, 0}, "", "", "-o and --checkpoint-out name the same file");
  onnxio::ImportOptions o;
  o.addLoss = a.get("add-loss");
  o.labelName = a.get("label-name", "label");
  o.inlineData = ckpt.empty();
  onnxio::ImportResult r = onnxio::importModel(readAll(in), in, o);
  if (fs::path(out).extension() == ".pb") {
    saveGraphBinary(r.graph, out);
  } else {
    writeFileAtomically(out, "# imported from " + fs::path(in).filename().string() + " (" +
                                 r.producer + ", opset " + std::to_string(r.opset) + ")\n" +
                                 graphToText(r.graph));
  }
  if (!ckpt.empty()) {
    auto program = Program::build(r.graph, ops::registry());
    CheckpointData ck;
    ck.modelName = r.graph.name;
    ck.modelFingerprint = modelFingerprint(*program);
    ck.seed = 1;
    for (const auto& t : r.tensors) ck.params.push_back({t.name, t.dims, t.data});
    writeCheckpoint(ckpt, ck);
  }
  std::printf("%s: %zu nodes, %zu params%s%s\n", out.c_str(), r.graph.nodes.size(),
              r.graph.params.size(), ckpt.empty() ? " (inline data)" : " -> ",
              ckpt.c_str());
  return 0;
}

}  // namespace tapeflow::cli
