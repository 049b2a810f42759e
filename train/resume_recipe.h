// train/resume_recipe.h - the recipe a resumed run continues with: the
// solver stored in its latest checkpoint, and the changes that keep the
// continuation exact (more epochs, logging and checkpoint cadence, keep,
// threads). Used by `tapeflow train --resume` and by train() itself, so a
// C++ caller that resumes with another recipe is refused the same way.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "train/solver.h"

namespace tapeflow {

/// The recipe of the run in `dir` (the latest checkpoint's solver text,
/// else dir/solver.pbtxt), the epoch and step its latest checkpoint
/// reached, and the model that checkpoint stores (its graph text, empty in
/// files written before checkpoints carried it). UsageError if `dir` is not
/// an existing run directory; never creates anything.
struct StoredRun {
  SolverConfig solver;
  int64_t epoch = 0, step = 0;
  std::string checkpoint;  ///< path of the latest checkpoint
  uint64_t modelFingerprint = 0;
  std::string graphText;
};
StoredRun readStoredRun(const std::string& dir);

/// True when `dir` holds a checkpoint, a "latest" pointer or metrics.jsonl.
bool looksLikeRunDir(const std::string& dir);

/// Checks `wanted` against the stored recipe: only the epochs (not fewer),
/// the log/eval/checkpoint cadence, keep and threads may change; anything
/// else is a UsageError naming the field and both values. Returns one line
/// per accepted change (and a warning for threads), to be printed.
std::vector<std::string> checkResumeChanges(const SolverConfig& stored, const SolverConfig& wanted);

/// UsageError when a run that reached `epoch` (at `step`) has nothing left
/// to do under `wanted`: its epochs are done.
void checkNotFinished(const std::string& where, int64_t epoch, int64_t step,
                      const SolverConfig& wanted);

}  // namespace tapeflow
