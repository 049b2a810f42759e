// tools/run_dir.h - where `tapeflow train` writes: a fresh run directory
// by default, an existing one only with --resume or --overwrite, and the
// recipe a resumed run continues with.
#pragma once

#include <string>
#include <vector>

#include "train/solver.h"

namespace tapeflow::cli {

/// Creates and returns `base-<n>` for the first n >= 1 that does not exist
/// (mkdir, so two trainers never get the same one). IoError if it cannot.
std::string createFreshRunDir(const std::string& base);

/// True when `dir` holds a checkpoint, a "latest" pointer or metrics.jsonl.
bool looksLikeRunDir(const std::string& dir);

/// For `train --out DIR`: a missing or empty DIR is fine; a non-empty one
/// is a UsageError naming --resume and --overwrite, unless `overwrite`,
/// which empties it when it looks like a run directory (UsageError
/// otherwise: data or other directories are never emptied).
void prepareOutDir(const std::string& dir, bool overwrite);

/// The recipe of the run in `dir` (the latest checkpoint's solver text,
/// else dir/solver.pbtxt) and the epoch its latest checkpoint reached.
/// UsageError if `dir` is not an existing run directory; never creates it.
struct StoredRun {
  SolverConfig solver;
  int64_t epoch = 0, step = 0;
};
StoredRun readStoredRun(const std::string& dir);

/// Checks `wanted` against the stored recipe: only the epochs (not fewer),
/// the log/eval/checkpoint cadence, keep and threads may change; anything
/// else is a UsageError naming the field. Returns one line per accepted
/// change (and a warning for threads), to be printed.
std::vector<std::string> checkResumeChanges(const SolverConfig& stored, const SolverConfig& wanted);

}  // namespace tapeflow::cli
