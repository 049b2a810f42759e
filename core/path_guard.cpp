// core/path_guard.cpp - refuses outputs that would overwrite or write into
// inputs (see path_guard.h).
#include "core/path_guard.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <system_error>

#include "core/error.h"

namespace tapeflow {
namespace {

namespace fs = std::filesystem;

struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const FileId& o) const {
    return dev == o.dev && ino == o.ino;
  }
};

std::optional<FileId> idOf(const fs::path& p, bool* isDir = nullptr) {
  struct stat st {};
  if (p.empty() || ::stat(p.c_str(), &st) != 0) return std::nullopt;
  if (isDir) *isDir = S_ISDIR(st.st_mode);
  return FileId{st.st_dev, st.st_ino};
}

/// Absolute and normalised lexically; symlinks left as they are.
fs::path absoluteNormal(const std::string& p) {
  std::error_code ec;
  fs::path abs = fs::absolute(p, ec);
  return (ec ? fs::path(p) : abs).lexically_normal();
}

/// Absolute, symlinks resolved in the part that exists, the rest normalised
/// lexically.
fs::path resolved(const std::string& p) {
  fs::path abs = absoluteNormal(p);
  std::error_code ec;
  fs::path r = fs::weakly_canonical(abs, ec);
  return ec ? abs.lexically_normal() : r;
}

/// Ids of `p` (when it exists) and of every existing directory above it.
std::vector<FileId> selfAndAncestors(const fs::path& p) {
  std::vector<FileId> ids;
  for (fs::path a = p;; a = a.parent_path()) {
    if (auto id = idOf(a)) ids.push_back(*id);
    if (a == a.parent_path() || a.empty()) break;
  }
  return ids;
}

bool contains(const std::vector<FileId>& ids, const FileId& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

[[noreturn]] void refuse(const IoPath& out, const std::string& what) {
  throw UsageError(SourceLoc{out.path, 0, 0}, "", "",
                   "output (" + out.role + ") " + what +
                       "; outputs never overwrite inputs, choose another path");
}

void checkOne(const IoPath& out, const IoPath& in) {
  bool inIsDir = false;
  std::optional<FileId> inId = idOf(in.path, &inIsDir);
  if (!inId) return;  // a missing input is its reader's error
  const fs::path outPath = resolved(out.path);
  const std::vector<FileId> outChain = selfAndAncestors(outPath);
  const std::optional<FileId> outId = idOf(outPath);
  const std::string inName = in.role + " '" + in.path + "'";
  if (inIsDir) {
    if (outId && *outId == *inId) refuse(out, "is the " + inName);
    if (contains(outChain, *inId)) refuse(out, "is inside the " + inName);
    return;
  }
  if (outId && *outId == *inId) refuse(out, "is the " + inName);
  if (!out.directory) return;
  // The directory holding the input, as given and with symlinks resolved.
  for (const fs::path& holder :
       {absoluteNormal(in.path).parent_path(),
        resolved(in.path).parent_path()}) {
    std::optional<FileId> holderId = idOf(holder);
    if (outId && holderId && *outId == *holderId)
      refuse(out, "is the directory holding the " + inName);
  }
}

}  // namespace

void checkOutputsAgainstInputs(const std::vector<IoPath>& outputs,
                               const std::vector<IoPath>& inputs) {
  for (const IoPath& out : outputs) {
    if (out.path.empty()) continue;
    for (const IoPath& in : inputs)
      if (!in.path.empty()) checkOne(out, in);
  }
}

}  // namespace tapeflow
