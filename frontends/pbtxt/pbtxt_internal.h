// frontends/pbtxt/pbtxt_internal.h - helpers shared by the graph reader
// (pbtxt_loader.cpp, pbtxt_syntax_error.cpp) and writer (pbtxt_writer.cpp);
// not a public header.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <string>

#include "core/error.h"

namespace tapeflow::pbtxt_detail {

/// The schema has at most three levels (graph > node > attr); the limit only
/// guards the parser's own recursion.
inline constexpr int kRecursionLimit = 100;
/// User strings quoted in messages are cut to this many bytes.
inline constexpr size_t kMaxQuoted = 64;

/// `s` cut to kMaxQuoted bytes, with "..." when it was longer.
inline std::string clip(const std::string& s) {
  if (s.size() <= kMaxQuoted) return s;
  return s.substr(0, kMaxQuoted) + "...";
}

/// `'s'`, clipped.
inline std::string quoted(const std::string& s) {
  return "'" + clip(s) + "'";
}

/// Throws IoError at `path`: "<what>: <strerror(err)>".
[[noreturn]] inline void ioFail(const std::string& path,
                                const std::string& what, int err) {
  throw IoError(SourceLoc{path, 0, 0}, "", "",
                what + ": " + std::strerror(err));
}

inline bool endsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() &&
         s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

/// Protobuf's column rule: one per byte, a tab advances to a multiple of 8.
/// line and col are 0-based, as protobuf reports them.
inline void advancePos(char c, int& line, int& col) {
  if (c == '\n') {
    ++line;
    col = 0;
  } else if (c == '\t') {
    col += 8 - col % 8;
  } else {
    ++col;
  }
}

/// The ParseError for protobuf's syntax error `protobufMessage` at the
/// 0-based line:col of `text`: the message reworded to our style and the
/// position moved onto the word it is about (pbtxt_syntax_error.cpp).
ParseError syntaxError(const std::string& text, const std::string& fileName,
                       int line, int col, const std::string& protobufMessage);

/// A file descriptor closed on scope exit (when still >= 0).
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace tapeflow::pbtxt_detail
