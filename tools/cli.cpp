// tools/cli.cpp - the command line on CLI11: declaring commands, turning
// CLI11's results into Args, and usage errors as one line with exit 2.
#include "tools/cli.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "frontends/pbtxt/pbtxt_loader.h"
#include "ops/registry.h"
#include "train/solver.h"

namespace tapeflow::cli {

std::string Args::get(const std::string& f, const std::string& def) const {
  auto it = flags.find(f);
  return it == flags.end() ? def : it->second;
}

int64_t Args::getInt(const std::string& f, int64_t def) const {
  auto it = flags.find(f);
  if (it == flags.end()) return def;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (errno || end == it->second.c_str() || *end)
    throw UsageError({}, "", "",
                     "--" + f + " expects an integer, found '" + it->second + "'");
  return v;
}

double Args::getFloat(const std::string& f, double def) const {
  auto it = flags.find(f);
  if (it == flags.end()) return def;
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(it->second.c_str(), &end);
  if (errno || end == it->second.c_str() || *end)
    throw UsageError({}, "", "",
                     "--" + f + " expects a number, found '" + it->second + "'");
  return v;
}

Command::Command(CLI::App& root, const std::string& name, const std::string& help,
                 Run run)
    : app_(root.add_subcommand(name, help)), run_(std::move(run)) {}

Command& Command::positional(const std::string& name, const std::string& help) {
  CLI::Option* o = app_->add_option(name, help)->required()->type_name("");
  declared_.push_back({"", o, false, false});
  return *this;
}

Command& Command::option(const std::string& key, const std::string& names,
                         const std::string& type, const std::string& help,
                         const std::string& defaultText) {
  CLI::Option* o = app_->add_option(names, help)->type_name(type);
  if (!defaultText.empty()) o->default_str(defaultText);
  declared_.push_back({key, o, false, false});
  return *this;
}

Command& Command::flag(const std::string& name, const std::string& help) {
  CLI::Option* o =
      app_->add_flag("--" + name + ",!--no-" + name, bools_[name], help + " (default: off)");
  declared_.push_back({name, o, true, false});
  return *this;
}

Command& Command::flagOn(const std::string& name, const std::string& help) {
  bools_[name] = true;
  CLI::Option* o =
      app_->add_flag("--" + name + ",!--no-" + name, bools_[name], help + " (default: on)");
  declared_.push_back({name, o, true, true});
  return *this;
}

Command& Command::solverOptions() {
  option("solver", "--solver", "FILE",
         "solver settings (protobuf text); the flags below override it");
  for (const SolverFlag& f : solverFlags()) {
    std::string group = "solver (" + f.section + ")";
    if (f.isBool) {
      CLI::Option* o = app_->add_flag("--" + f.name + ",!--no-" + f.name, bools_[f.name],
                                      f.help + " (default: " + f.defaultText + ")");
      o->group(group);
      declared_.push_back({f.name, o, true, true});
    } else {
      option(f.name, "--" + f.name, "", f.help, f.defaultText);
      declared_.back().opt->group(group);
    }
  }
  return *this;
}

Args Command::collect() const {
  Args a;
  for (const Declared& d : declared_) {
    if (d.key.empty()) {  // positional
      if (d.opt->count() > 0) a.positional.push_back(d.opt->results().back());
      continue;
    }
    if (d.opt->count() == 0) continue;
    if (d.isBool) {
      bool on = bools_.at(d.key);
      if (on || d.keepFalse) a.flags[d.key] = on ? "true" : "false";
    } else {
      a.flags[d.key] = d.opt->results().back();
    }
  }
  return a;
}

namespace {

size_t editDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

/// The closest of `names`: within 2 edits, or one a prefix of the other.
std::string closest(const std::string& word, const std::vector<std::string>& names) {
  std::string best;
  size_t bestScore = 3;
  for (const std::string& n : names) {
    size_t d = editDistance(word, n);
    bool prefix = std::min(word.size(), n.size()) >= 3 &&
                  (word.rfind(n, 0) == 0 || n.rfind(word, 0) == 0);
    if (prefix) d = std::min<size_t>(d, 2);
    if (d < bestScore) bestScore = d, best = n;
  }
  return best;
}

std::vector<std::string> optionNames(const CLI::App& app) {
  std::vector<std::string> out;
  for (const CLI::Option* o : app.get_options()) {
    for (const std::string& l : o->get_lnames()) out.push_back("--" + l);
    for (const std::string& s : o->get_snames()) out.push_back("-" + s);
  }
  return out;
}

/// One line about the first argument the command could not place.
std::string extrasMessage(const CLI::App& app, const std::vector<std::string>& extras) {
  std::string cmd = "tapeflow " + app.get_name();
  std::string see = "; see '" + cmd + " --help'";
  for (const std::string& e : extras) {  // options first: they name a mistake
    if (e.size() < 2 || e[0] != '-') continue;
    std::string name = e.substr(0, e.find('='));
    std::string hint = closest(name, optionNames(app));
    return "unknown option '" + name + "' for " + cmd +
           (hint.empty() ? "" : " (did you mean '" + hint + "'?)") + see;
  }
  const std::string& e = extras.front();
  if (e == "true" || e == "false")
    return "unexpected argument '" + e + "' for " + cmd +
           " (a boolean option takes --name=" + e + ", or --name / --no-name)" + see;
  std::string hint;
  bool solverFile = e.find("solver") != std::string::npos;
  if (solverFile && app.get_option_no_throw("--solver")) hint = "--solver " + e;
  return "unexpected argument '" + e + "' for " + cmd +
         (hint.empty() ? "" : " (did you mean '" + hint + "'?)") + see;
}

/// CLI11's help without the "{false}" it appends to --x,--no-x.
class Formatter : public CLI::Formatter {
 public:
  std::string make_option_name(const CLI::Option* opt, bool positional) const override {
    std::string s = CLI::Formatter::make_option_name(opt, positional);
    for (size_t a = s.find('{'); a != std::string::npos; a = s.find('{')) {
      size_t b = s.find('}', a);
      if (b == std::string::npos) break;
      s.erase(a, b - a + 1);
    }
    return s;
  }
};

[[noreturn]] void usageFail(const std::string& message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  std::exit(2);
}

}  // namespace

int runCommandLine(int argc, char** argv) {
  CLI::App root("tapeflow: a C++ deep-learning framework on oneDNN", "tapeflow");
  root.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  root.formatter(std::make_shared<Formatter>());
  root.footer("FILE is a graph in protobuf text (.pbtxt) or binary (.pb) form.\n"
              "'tapeflow COMMAND --help' lists the options of a command.");
  bool version = false;
  root.add_flag("--version", version, "print the version, oneDNN's and the CPU ISA");
  std::vector<std::unique_ptr<Command>> commands = declareCommands(root);
  std::vector<std::string> names{"help"};
  for (const auto& c : commands) names.push_back(c->app().get_name());
  if (argc >= 2 && argv[1][0] != '-' &&
      std::find(names.begin(), names.end(), argv[1]) == names.end()) {
    std::string hint = closest(argv[1], names);
    usageFail(std::string("unknown command '") + argv[1] + "'" +
              (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
              "; run 'tapeflow --help'");
  }
  if (argc == 2 && std::string(argv[1]) == "help") {
    std::cout << root.help();
    return 0;
  }
  try {
    root.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return root.exit(e);  // the help of the command asked about, on stdout
  } catch (const CLI::ExtrasError&) {
    for (const auto& c : commands)
      if (c->app().parsed()) usageFail(extrasMessage(c->app(), c->app().remaining()));
    usageFail(extrasMessage(root, root.remaining()));
  } catch (const CLI::ArgumentMismatch& e) {
    std::string msg = e.what();  // "--lr: 1 required TEXT missing"
    std::string name = msg.substr(0, msg.find(':'));
    usageFail(name.rfind("-", 0) == 0 ? "option " + name + " needs a value" : msg);
  } catch (const CLI::ParseError& e) {
    std::string msg = e.what();
    std::replace(msg.begin(), msg.end(), '\n', ' ');
    usageFail(msg);
  }
  if (version) {
    std::fputs(versionText().c_str(), stdout);
    return 0;
  }
  for (const auto& c : commands)
    if (c->app().parsed()) return c->run();
  std::fputs(root.help().c_str(), stderr);
  return 2;
}

std::shared_ptr<const Program> loadProgram(const std::string& path) {
  return Program::build(loadGraphFile(path), ops::registry());
}

void requirePositional(const Args& a, size_t n, const char* usage) {
  if (a.positional.size() != n)
    throw UsageError({}, "", "", std::string("usage: ") + usage);
}

}  // namespace tapeflow::cli
