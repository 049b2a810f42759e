// tools/run_dir.cpp - run directories of `tapeflow train`.
#include "tools/run_dir.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/error.h"
#include "train/checkpoint.h"

namespace tapeflow::cli {
namespace fs = std::filesystem;

std::string createFreshRunDir(const std::string& base) {
  std::error_code ec;
  fs::path parent = fs::path(base).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  for (int n = 1; n < 100000; ++n) {
    std::string dir = base + "-" + std::to_string(n);
    if (::mkdir(dir.c_str(), 0777) == 0) return dir;
    if (errno != EEXIST)
      throw IoError({dir, 0, 0}, "", "", std::string("cannot create run directory: ") +
                                             std::strerror(errno));
  }
  throw IoError({base, 0, 0}, "", "", "no free run directory name");
}

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

void prepareOutDir(const std::string& dir, bool overwrite) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return;
  if (!fs::is_directory(dir, ec))
    throw UsageError({}, "", "", "--out " + dir + " exists and is not a directory");
  if (fs::is_empty(dir, ec)) return;
  if (!overwrite)
    throw UsageError({}, "", "", "--out " + dir +
                                     " is not empty: --resume " + dir +
                                     " continues its run, --overwrite replaces it");
  if (!looksLikeRunDir(dir))
    throw UsageError({}, "", "", "refusing to --overwrite " + dir +
                                     ": it holds no checkpoint or metrics.jsonl, so it is "
                                     "not a run directory");
  for (const auto& e : fs::directory_iterator(dir)) fs::remove_all(e.path());
}

StoredRun readStoredRun(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw UsageError({}, "", "", "--resume " + dir + ": no such run directory");
  if (!looksLikeRunDir(dir))
    throw UsageError({}, "", "", "--resume " + dir + ": not a run directory (no checkpoint)");
  StoredRun r;
  std::string latest;
  {
    CheckpointDir ck(dir, 0);
    latest = ck.latest();
  }
  CheckpointData ck = readCheckpoint(latest);
  r.epoch = ck.epoch;
  r.step = ck.step;
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
      throw UsageError({}, "", "", "--resume cannot change " + field + " (" + old + " -> " + v +
                                       "): the run would no longer continue exactly; "
                                       "start a new run, e.g. with --init-from");
    if (field == "epochs" && wanted.epochs < stored.epochs)
      throw UsageError({}, "", "", "--resume cannot lower epochs (" + old + " -> " + v + ")");
    lines.push_back("resume: " + field + " " + old + " -> " + v);
    if (field == "threads")
      lines.push_back("warning: a bit-exact continuation needs the same thread count (" + old +
                      ")");
  }
  return lines;
}

}  // namespace tapeflow::cli
