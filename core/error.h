// core/error.h - the one error hierarchy of tapeflow and its message format.
//
// Every user-facing failure is a tapeflow::Error carrying a source location
// and the node involved; what() is one line in LLVM style:
//   models/x.pbtxt:42:3: error: node 'conv2' (Conv2D): input 'weights' has
//   shape [64,3,3,3], expected [64,32,3,3]
#pragma once

#include <stdexcept>
#include <string>

namespace tapeflow {

/// A position in a user file. line/col are 1-based; 0 means "unknown".
struct SourceLoc {
  std::string file;
  int line = 0;
  int col = 0;

  /// "file:line:col", "file" or "" depending on what is known.
  std::string str() const;
};

/// Exit codes used by the command-line tools.
enum class ExitCode : int {
  Ok = 0,
  BadInput = 2,   ///< malformed file, bad flag, invalid graph or data
  Resource = 3,   ///< I/O failure, out of memory, disk full
  Numerical = 4,  ///< non-finite loss or gradient
  Interrupted = 130,
};

/// Base class of every tapeflow error. what() is the full formatted line.
class Error : public std::runtime_error {
 public:
  Error(SourceLoc loc, std::string node, std::string op, std::string message);

  const SourceLoc& loc() const { return loc_; }
  const std::string& node() const { return node_; }
  const std::string& op() const { return op_; }
  /// The message without location and node prefix.
  const std::string& message() const { return message_; }
  virtual ExitCode exitCode() const { return ExitCode::BadInput; }

 private:
  SourceLoc loc_;
  std::string node_;
  std::string op_;
  std::string message_;
};

/// Syntax or schema errors in a graph, solver or checkpoint file.
class ParseError : public Error { using Error::Error; };
/// Dangling names, duplicate producers, cycles, missing loss.
class GraphError : public Error { using Error::Error; };
/// Missing, extra or ill-typed attributes.
class AttrError : public Error { using Error::Error; };
/// Shape or dtype mismatches.
class ShapeError : public Error { using Error::Error; };
/// oneDNN cannot implement the requested configuration.
class UnsupportedError : public Error { using Error::Error; };
/// Bad data files (IDX, images) and bad checkpoints.
class DataError : public Error { using Error::Error; };
/// Bad command-line usage or API misuse.
class UsageError : public Error { using Error::Error; };
/// I/O and resource failures (disk full, permission denied, out of memory).
class IoError : public Error {
 public:
  using Error::Error;
  ExitCode exitCode() const override { return ExitCode::Resource; }
};
/// A non-finite loss or activation.
class NumericError : public Error {
 public:
  using Error::Error;
  ExitCode exitCode() const override { return ExitCode::Numerical; }
};

/// Formats "loc: error: node 'n' (Op): message" (parts omitted when empty).
std::string formatError(const SourceLoc& loc, const std::string& node,
                        const std::string& op, const std::string& message);

}  // namespace tapeflow

/// Internal invariant check: debug builds only, never for user input.
#ifdef NDEBUG
#define TAPEFLOW_ASSERT(cond) ((void)0)
#else
#include <cassert>
#define TAPEFLOW_ASSERT(cond) assert(cond)
#endif
