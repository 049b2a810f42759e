// tools/cli.h - shared pieces of the tapeflow command-line program.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/program.h"

namespace tapeflow::cli {

/// Parsed command line: positional arguments and --flag[=| ]value pairs.
struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;
  bool has(const std::string& f) const { return flags.count(f) > 0; }
  std::string get(const std::string& f, const std::string& def = "") const;
  int64_t getInt(const std::string& f, int64_t def) const;
  double getFloat(const std::string& f, double def) const;
};

/// Flags that take no value (everything else consumes the next argument).
Args parseArgs(int argc, char** argv, int first,
               const std::vector<std::string>& switches);

/// Loads and validates a graph file (text or binary).
std::shared_ptr<const Program> loadProgram(const std::string& path);

/// Throws UsageError unless exactly `n` positional arguments were given.
void requirePositional(const Args& a, size_t n, const char* usage);

int cmdSummary(const Args& a);
int cmdGraph(const Args& a);
int cmdCheck(const Args& a);
int cmdGradcheck(const Args& a);
int cmdOps(const Args& a);
int cmdTrain(const Args& a);
int cmdEval(const Args& a);
int cmdPredict(const Args& a);
int cmdProfile(const Args& a);
int cmdExport(const Args& a);
int cmdImport(const Args& a);

}  // namespace tapeflow::cli
