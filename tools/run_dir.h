// tools/run_dir.h - where `tapeflow train` writes: a fresh run directory
// by default, an existing one only with --resume or --overwrite (the
// recipe a resumed run continues with is in train/resume_recipe.h).
#pragma once

#include <string>
#include <vector>

#include "train/resume_recipe.h"

namespace tapeflow::cli {

/// Creates and returns `base-<n>` for the first n >= 1 that does not exist
/// (mkdir, so two trainers never get the same one). IoError if it cannot.
std::string createFreshRunDir(const std::string& base);

/// For `train --out DIR`: a missing or empty DIR is fine; a non-empty one
/// is a UsageError naming --resume and --overwrite, unless `overwrite`,
/// which empties it when it looks like a run directory (UsageError
/// otherwise: data or other directories are never emptied).
void prepareOutDir(const std::string& dir, bool overwrite);

}  // namespace tapeflow::cli
