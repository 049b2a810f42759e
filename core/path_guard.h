// core/path_guard.h - outputs never overwrite inputs: one check that every
// command writing files runs before it opens anything for writing.
#pragma once

#include <string>
#include <vector>

namespace tapeflow {

/// A path a command reads or writes, with the name the user knows it by
/// (a flag such as "-o" or "--out", or "model", "data directory").
struct IoPath {
  std::string path;
  std::string role;
  bool directory = false;  ///< a directory (--out, --data) rather than a file
};

/// Throws UsageError (exit 2) naming both paths and their roles, before
/// anything is written, when an output would overwrite or write into an
/// input:
///  - an output file that is an input file: the same path, a symlink to it
///    or a hard link (compared by device and inode when it exists, by its
///    canonical path otherwise);
///  - an output file or directory that is, or lies inside, an input
///    directory (e.g. `train --out DIR` with DIR the data directory);
///  - an output directory that is an input file, or the directory holding
///    an input file (the files written there could replace it).
/// Paths are compared after resolving symlinks; components that do not exist
/// yet are compared lexically. Inputs that do not exist are skipped (their
/// own reader reports them). Never creates, opens or modifies anything.
void checkOutputsAgainstInputs(const std::vector<IoPath>& outputs,
                               const std::vector<IoPath>& inputs);

}  // namespace tapeflow
