// tests/support/text_files.h - reading what a command wrote: a whole file,
// and the number of lines of a text.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace tapeflow::testing {

/// The whole file ("" when it cannot be read).
inline std::string readAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The number of newlines in s.
inline int lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

}  // namespace tapeflow::testing
