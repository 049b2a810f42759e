// tools/run_dir.cpp - run directories of `tapeflow train`.
#include "tools/run_dir.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/error.h"

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

}  // namespace tapeflow::cli
