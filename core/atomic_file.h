// core/atomic_file.h - writing a file atomically: readers see the old file
// or the complete new one, never a torn one, also after a crash or a kill.
//
// Protocol: the bytes go to <path>.tmp-<pid> in the same directory (created
// exclusively), which is fsynced, closed and renamed over `path`; then the
// directory is fsynced so that the rename itself survives a power loss.
// Until the rename, `path` is untouched; on any failure before it (or when
// an AtomicFile is destroyed uncommitted) the temporary file is removed.
// Errors are IoError at `path` with the step and strerror, e.g.
//   runs/a/ckpt-20.tfck: error: write failed: File too large (temporary file
//   removed, previous file untouched)
// Not for two writers of the same path in one process at once (they would
// share the temporary name).
//
// exitAfterAtomicWrites() ends the process as soon as no AtomicFile is
// open (the "stop at once" of a second Ctrl-C): a write in progress is
// finished, or abandoned by its own error path, never cut short.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tapeflow {

class AtomicFile {
 public:
  /// Creates the temporary file (removing a stale one left by a dead process
  /// that had our pid). Throws IoError when it cannot.
  explicit AtomicFile(std::string path);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  /// Removes the temporary file unless commit() renamed it.
  ~AtomicFile();

  /// Appends bytes to the temporary file; throws IoError (a write that
  /// writes nothing counts as a full disk).
  void write(const void* data, size_t n);
  void write(std::string_view bytes) { write(bytes.data(), bytes.size()); }

  /// fsync, close, rename over path(), fsync the directory. Throws IoError;
  /// when only the directory sync fails the new file is already in place
  /// (and the message says so).
  void commit();

  const std::string& path() const { return path_; }
  const std::string& tempPath() const { return tmp_; }

 private:
  [[noreturn]] void fail(const std::string& what, int err) const;

  // Counts this write as in progress from the first member to the last;
  // declared first, so it is destroyed last (after the temporary file).
  struct InProgress {
    InProgress();
    ~InProgress();
    InProgress(const InProgress&) = delete;
    InProgress& operator=(const InProgress&) = delete;
  } inProgress_;
  std::string path_;
  std::string tmp_;
  int fd_ = -1;
  bool renamed_ = false;
};

/// Replaces the file at `path` with `bytes` atomically (AtomicFile).
void writeFileAtomically(const std::string& path, std::string_view bytes);

/// Ends the process with _exit(code) at once when no AtomicFile is open,
/// else when the last open one is closed (committed or abandoned). For a
/// signal handler: async-signal-safe, any thread; never returns when no
/// write is in progress.
void exitAfterAtomicWrites(int code) noexcept;

/// The directory part of `path` ("." for a bare name, "/" for "/x").
std::string parentDirectory(const std::string& path);

namespace detail {
/// Test hook: called before each step of every atomic write with the step
/// ("open", "write", "fsync", "close", "rename", "fsync-dir") and what it
/// acts on: the temporary file, the final path for "rename", the directory
/// for "fsync-dir". Null (the default) in production; not thread-safe.
using AtomicWriteHook = void (*)(const char* stage, const std::string& file);
void setAtomicWriteHook(AtomicWriteHook hook);
}  // namespace detail

}  // namespace tapeflow
