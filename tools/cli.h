// tools/cli.h - shared pieces of the tapeflow command-line program: the
// arguments a command receives, the CLI11 declaration helper, model loading.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/program.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace tapeflow::cli {

/// Parsed arguments of one command: positionals in order and options by
/// their key (values as typed; solver booleans "true"/"false"; other
/// booleans present only when on).
struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;
  bool has(const std::string& f) const { return flags.count(f) > 0; }
  std::string get(const std::string& f, const std::string& def = "") const;
  int64_t getInt(const std::string& f, int64_t def) const;
  double getFloat(const std::string& f, double def) const;
};

/// One subcommand declared on CLI11. Every option shows its default in
/// --help; CLI11 rejects unknown options and stray arguments.
class Command {
 public:
  using Run = std::function<int(const Args&)>;
  Command(CLI::App& root, const std::string& name, const std::string& help,
          Run run);

  /// A required positional argument.
  Command& positional(const std::string& name, const std::string& help);
  /// An option with a value; `names` as CLI11 spells them ("-o,--out"),
  /// stored under `key`. defaultText is shown in --help ("" = none).
  Command& option(const std::string& key, const std::string& names,
                  const std::string& type, const std::string& help,
                  const std::string& defaultText = "");
  /// A boolean: --name, --no-name and --name=true|false. Stored under
  /// `name` ("true") when on, absent when off (the default).
  Command& flag(const std::string& name, const std::string& help);
  /// A boolean that is on unless --no-name (or --name=false) is given;
  /// stored under `name` as "false" then.
  Command& flagOn(const std::string& name, const std::string& help);
  /// --solver FILE and one option per solver field (train/solver.cpp's
  /// table), with their defaults and help.
  Command& solverOptions();

  CLI::App& app() { return *app_; }
  /// The arguments given, once CLI11 has parsed the command line.
  Args collect() const;
  int run() const { return run_(collect()); }

 private:
  struct Declared {
    std::string key;
    CLI::Option* opt;
    bool isBool;
    bool keepFalse;  ///< solver booleans pass "false" on
  };
  CLI::App* app_;
  Run run_;
  std::vector<Declared> declared_;
  std::map<std::string, bool> bools_;  // node-stable storage for CLI11
};

/// Parses the command line and runs the chosen command. --help: usage on
/// stdout, exit 0; a usage error: one line on stderr, exit 2.
int runCommandLine(int argc, char** argv);

/// Declares every subcommand on `root`.
std::vector<std::unique_ptr<Command>> declareCommands(CLI::App& root);

/// "tapeflow 0.1.0", the oneDNN version and the CPU ISA oneDNN uses.
std::string versionText();

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
