// core/error.cpp - message formatting for tapeflow::Error.
#include "core/error.h"

namespace tapeflow {

std::string SourceLoc::str() const {
  if (file.empty()) return "";
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(col);
}

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
  return out;
}

Error::Error(SourceLoc loc, std::string node, std::string op,
             std::string message)
    : std::runtime_error(formatError(loc, node, op, message)),
      loc_(std::move(loc)),
      node_(std::move(node)),
      op_(std::move(op)),
      message_(std::move(message)) {}

}  // namespace tapeflow
