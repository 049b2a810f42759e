// tools/run_model.cpp - the graph of a run from its checkpoints or its
// directory.
#include "tools/run_model.h"

#include <cinttypes>
#include <cstdio>
#include <filesystem>

#include "frontends/pbtxt/pbtxt_loader.h"
#include "ops/registry.h"
#include "train/run_checkpoint.h"

namespace tapeflow::cli {
namespace {

constexpr const char* kNoGraph =
    "stores no graph (it was written before checkpoints carried their model)";

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016" PRIx64, v);
  return buf;
}

}  // namespace

void setRunGraph(const Program& program, TrainOptions* o) {
  const Graph declared = program.declaredGraph();
  o->graphText = graphStructureText(declared);
  o->graphFile = "# the graph of this run, written by `tapeflow train` when it started; the "
                 "trained param values are in the checkpoints\n" +
                 graphToText(declared);
}

std::shared_ptr<const Program> programFromText(const std::string& text, const std::string& where) {
  return Program::build(parseGraphText(text, where), ops::registry());
}

std::shared_ptr<const Program> storedProgram(const std::string& graphText,
                                             const std::string& checkpoint) {
  if (graphText.empty())
    throw UsageError({checkpoint, 0, 0}, "", "",
                     std::string(kNoGraph) + "; pass its graph file with --model FILE");
  return programFromText(graphText, checkpoint + " (stored graph)");
}

RunModel checkpointModel(const Args& a, const CheckpointData* ck, const std::string& path) {
  if (a.has("model")) return {loadProgram(a.get("model")), a.get("model")};
  return {storedProgram(ck->graphText, path), "the graph stored in " + path};
}

RunModel resumedModel(const Args& a, const StoredRun& run, const std::string& dir) {
  if (a.has("model")) {
    const std::string& file = a.get("model");
    RunModel m{loadProgram(file), file};
    const uint64_t fingerprint = modelFingerprint(*m.program);
    if (fingerprint != run.modelFingerprint)
      throw UsageError({}, "", "",
                       "--model " + file + " (fingerprint " + hex(fingerprint) +
                           ") is not the graph of the run in " + dir + ": its latest checkpoint " +
                           run.checkpoint + " holds " + hex(run.modelFingerprint) +
                           "; leave out --model to continue with the stored graph");
    return m;
  }
  if (!run.graphText.empty())
    return {storedProgram(run.graphText, run.checkpoint), "the graph stored in " + run.checkpoint};
  const std::string file = dir + "/model.pbtxt";
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) return {loadProgram(file), file};
  throw UsageError({run.checkpoint, 0, 0}, "", "",
                   std::string(kNoGraph) + " and " + dir +
                       " holds no model.pbtxt; pass the run's graph file with --model FILE");
}

}  // namespace tapeflow::cli
