// core/error.cpp - message formatting for tapeflow::Error.
#include "core/error.h"

namespace tapeflow {

std::string SourceLoc::str() const {
  if (file.empty()) return "";
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(col);
}

namespace {

/// `s` with every control character (C0, DEL) written as an escape: \n, \t,
/// \r, or \xHH. Names and paths come from user files; echoed raw they could
/// split the one-line message or drive the terminal.
std::string escapeControls(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c != 0x7f) {
      out += ch;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string formatError(const SourceLoc& loc, const std::string& node,
                        const std::string& op, const std::string& message) {
  std::string out;
  std::string where = loc.str();
  if (!where.empty()) out += where + ": ";
  out += "error: ";
  if (!node.empty()) {
    out += "node '" + node + "'";
    if (!op.empty()) out += " (" + op + ")";
    out += ": ";
  }
  out += message;
  return escapeControls(out);
}

Error::Error(SourceLoc loc, std::string node, std::string op,
             std::string message)
    : std::runtime_error(formatError(loc, node, op, message)),
      loc_(std::move(loc)),
      node_(std::move(node)),
      op_(std::move(op)),
      message_(std::move(message)) {}

}  // namespace tapeflow
