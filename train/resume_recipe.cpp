// train/resume_recipe.cpp - the stored recipe of a run and the changes a
// resumed run may make to it.
#include "train/resume_recipe.h"

#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "core/error.h"
#include "train/checkpoint.h"

namespace tapeflow {
namespace fs = std::filesystem;

bool looksLikeRunDir(const std::string& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string n = e.path().filename().string();
    if (n == "latest" || n == "metrics.jsonl" ||
        (n.size() > 5 && n.substr(n.size() - 5) == ".tfck"))
      return true;
  }
  return false;
}

StoredRun readStoredRun(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw UsageError({}, "", "", "cannot resume " + dir + ": no such run directory");
  if (!looksLikeRunDir(dir))
    throw UsageError({}, "", "", "cannot resume " + dir + ": not a run directory (no checkpoint)");
  StoredRun r;
  std::string latest;
  {
    CheckpointDir ck(dir, 0);
    latest = ck.latest();
  }
  CheckpointData ck = readCheckpoint(latest);
  r.epoch = ck.epoch;
  r.step = ck.step;
  r.checkpoint = latest;
  r.modelFingerprint = ck.modelFingerprint;
  r.graphText = std::move(ck.graphText);
  if (!ck.solverText.empty()) {
    r.solver = parseSolverText(ck.solverText, latest);
  } else {
    r.solver = loadSolverFile(dir + "/solver.pbtxt");
  }
  return r;
}

namespace {

// "proto_field: value" of every line of solverToText.
std::map<std::string, std::string> fieldsOf(const SolverConfig& c) {
  std::map<std::string, std::string> out;
  std::istringstream in(solverToText(c));
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    size_t colon = line.find(':'), hash = line.find("  #");
    if (colon == std::string::npos) continue;
    std::string v = line.substr(colon + 1, hash == std::string::npos ? std::string::npos
                                                                     : hash - colon - 1);
    while (!v.empty() && v.back() == ' ') v.pop_back();
    while (!v.empty() && v.front() == ' ') v.erase(v.begin());
    out[line.substr(0, colon)] = v;
  }
  return out;
}

}  // namespace

std::vector<std::string> checkResumeChanges(const SolverConfig& stored,
                                            const SolverConfig& wanted) {
  std::vector<std::string> lines;
  static const std::set<std::string> kSafe = {"epochs", "log_every_steps", "eval_every_steps",
                                              "checkpoint_every_steps", "keep_checkpoints",
                                              "threads"};
  auto before = fieldsOf(stored), after = fieldsOf(wanted);
  for (const auto& [field, v] : after) {
    const std::string& old = before[field];
    if (old == v) continue;
    if (!kSafe.count(field))
      throw UsageError({}, "", "", "resuming cannot change " + field + " (" + old + " -> " + v +
                                       "): the run would no longer continue exactly; "
                                       "start a new run from its checkpoint instead (--init-from)");
    if (field == "epochs" && wanted.epochs < stored.epochs)
      throw UsageError({}, "", "", "resuming cannot lower epochs (" + old + " -> " + v + ")");
    lines.push_back("resume: " + field + " " + old + " -> " + v);
    if (field == "threads")
      lines.push_back("warning: a bit-exact continuation needs the same thread count (" + old +
                      ")");
  }
  return lines;
}

void checkNotFinished(const std::string& where, int64_t epoch, int64_t step,
                      const SolverConfig& wanted) {
  if (epoch < wanted.epochs) return;
  throw UsageError({}, "", "", "the run in " + where + " is finished (" + std::to_string(epoch) +
                                   " epochs, step " + std::to_string(step) +
                                   "); --epochs N with N more than that trains further");
}

}  // namespace tapeflow
