// tests/support/tree_paths.h - where the tests and benchmarks find the source
// tree, the build tree and the command-line program, at run time.
//
// ctest sets TAPEFLOW_SOURCE_DIR, TAPEFLOW_BINARY_DIR and TAPEFLOW_CLI
// (tests/CMakeLists.txt, bench/CMakeLists.txt). Run by hand, an executable
// finds its build tree as the nearest directory above it with a
// CMakeCache.txt, and the source tree in that cache (CMAKE_HOME_DIRECTORY).
// No path is compiled in, so the objects of two clones are the same and the
// compiler cache serves one clone from the other.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace tapeflow::paths {
namespace detail {

/// Ends the process with one line saying what is missing and how to give it.
[[noreturn]] inline void notFound(const char* what, const char* var) {
  std::fprintf(stderr,
               "tapeflow tests: cannot find the %s: set %s (ctest does), or run the "
               "executable from inside its build tree (a directory above it with a "
               "CMakeCache.txt)\n",
               what, var);
  std::exit(3);
}

inline std::string fromEnv(const char* var) {
  const char* v = std::getenv(var);
  return v && *v ? std::string(v) : std::string();
}

/// The nearest directory above this executable that holds a CMakeCache.txt,
/// or empty.
inline std::filesystem::path buildTreeAboveExecutable() {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  for (auto dir = exe.parent_path(); !dir.empty(); dir = dir.parent_path()) {
    if (std::filesystem::is_regular_file(dir / "CMakeCache.txt", ec)) return dir;
    if (dir == dir.root_path()) break;
  }
  return {};
}

/// The value of KEY:TYPE=value in BUILD/CMakeCache.txt, or empty.
inline std::string cacheValue(const std::filesystem::path& build, const std::string& key) {
  std::ifstream in(build / "CMakeCache.txt");
  for (std::string line; std::getline(in, line);) {
    if (line.compare(0, key.size() + 1, key + ":") != 0) continue;
    auto eq = line.find('=');
    if (eq != std::string::npos) return line.substr(eq + 1);
  }
  return {};
}

}  // namespace detail

/// The build tree (TAPEFLOW_BINARY_DIR).
inline const std::string& binaryDir() {
  static const std::string dir = [] {
    std::string d = detail::fromEnv("TAPEFLOW_BINARY_DIR");
    if (d.empty()) d = detail::buildTreeAboveExecutable().string();
    if (d.empty()) detail::notFound("build tree", "TAPEFLOW_BINARY_DIR");
    return d;
  }();
  return dir;
}

/// The source tree, the repository's root (TAPEFLOW_SOURCE_DIR).
inline const std::string& sourceDir() {
  static const std::string dir = [] {
    std::string d = detail::fromEnv("TAPEFLOW_SOURCE_DIR");
    if (d.empty()) {
      auto build = detail::buildTreeAboveExecutable();
      if (!build.empty()) d = detail::cacheValue(build, "CMAKE_HOME_DIRECTORY");
    }
    if (d.empty()) detail::notFound("source tree", "TAPEFLOW_SOURCE_DIR");
    return d;
  }();
  return dir;
}

/// The command-line program, tapeflow (TAPEFLOW_CLI; else
/// <build tree>/tools/tapeflow).
inline const std::string& cliPath() {
  static const std::string path = [] {
    std::string p = detail::fromEnv("TAPEFLOW_CLI");
    return p.empty() ? binaryDir() + "/tools/tapeflow" : p;
  }();
  return path;
}

}  // namespace tapeflow::paths
