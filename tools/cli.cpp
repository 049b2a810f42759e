// tools/cli.cpp - argument parsing and model loading for the commands.
#include "tools/cli.h"

#include <cerrno>
#include <cstdlib>

#include "frontends/pbtxt/pbtxt_loader.h"
#include "ops/registry.h"

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

Args parseArgs(int argc, char** argv, int first,
               const std::vector<std::string>& switches) {
  Args a;
  for (int i = first; i < argc; ++i) {
    std::string s = argv[i];
    if (s.size() > 1 && s[0] == '-' && !(s.size() > 1 && std::isdigit(s[1]))) {
      std::string name = s.substr(s[1] == '-' ? 2 : 1);
      std::string value;
      auto eq = name.find('=');
      bool isSwitch = false;
      for (const auto& w : switches) isSwitch |= w == name;
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      } else if (!isSwitch) {
        if (i + 1 >= argc)
          throw UsageError({}, "", "", "option --" + name + " needs a value");
        value = argv[++i];
      }
      if (name.size() == 1 && name == "o") name = "output";
      a.flags[name] = value;
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

std::shared_ptr<const Program> loadProgram(const std::string& path) {
  return Program::build(loadGraphFile(path), ops::registry());
}

void requirePositional(const Args& a, size_t n, const char* usage) {
  if (a.positional.size() != n)
    throw UsageError({}, "", "", std::string("usage: ") + usage);
}

}  // namespace tapeflow::cli
