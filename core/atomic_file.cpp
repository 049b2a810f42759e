// core/atomic_file.cpp - temporary file, fsync, rename, directory fsync.
#include "core/atomic_file.h"

#include "core/error.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>

namespace tapeflow {
namespace {

detail::AtomicWriteHook writeHook = nullptr;

void callHook(const char* stage, const std::string& file) {
  if (writeHook) writeHook(stage, file);
}

// exitAfterAtomicWrites: writes in progress and the requested exit code
// (-1: none). Sequentially consistent, so that of a closing write and a
// concurrent request at least one sees the other and exits.
std::atomic<int> writesInProgress{0};
std::atomic<int> pendingExit{-1};
static_assert(std::atomic<int>::is_always_lock_free);

[[noreturn]] void ioError(const std::string& path, const std::string& msg) {
  throw IoError(SourceLoc{path, 0, 0}, "", "", msg);
}

}  // namespace

namespace detail {
void setAtomicWriteHook(AtomicWriteHook hook) { writeHook = hook; }
}  // namespace detail

AtomicFile::InProgress::InProgress() { writesInProgress.fetch_add(1); }

AtomicFile::InProgress::~InProgress() {
  if (writesInProgress.fetch_sub(1) == 1) {
    int code = pendingExit.load();
    if (code >= 0) ::_exit(code);
  }
}

void exitAfterAtomicWrites(int code) noexcept {
  pendingExit.store(code);
  if (writesInProgress.load() == 0) ::_exit(code);
}

std::string parentDirectory(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

AtomicFile::AtomicFile(std::string path)
    : path_(std::move(path)),
      tmp_(path_ + ".tmp-" + std::to_string(::getpid())) {
  ::unlink(tmp_.c_str());  // a stale file from a dead process with our pid
  callHook("open", tmp_);
  do {
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  } while (fd_ < 0 && errno == EINTR);
  if (fd_ < 0)
    ioError(path_, "cannot create temporary file '" + tmp_ +
                       "': " + std::strerror(errno));
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!renamed_) ::unlink(tmp_.c_str());
}

void AtomicFile::write(const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (n > 0) {
    callHook("write", tmp_);
    ssize_t w = ::write(fd_, p, std::min<size_t>(n, size_t{1} << 30));
    if (w < 0 && errno == EINTR) continue;
    // A zero-byte write with no error is treated as a full disk.
    if (w <= 0) fail("write failed", w < 0 ? errno : ENOSPC);
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void AtomicFile::commit() {
  callHook("fsync", tmp_);
  if (::fsync(fd_) != 0) fail("fsync failed", errno);
  callHook("close", tmp_);
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("close failed", errno);
  callHook("rename", path_);
  if (::rename(tmp_.c_str(), path_.c_str()) != 0)
    fail("cannot rename '" + tmp_ + "' into place", errno);
  renamed_ = true;
  std::string dir = parentDirectory(path_);
  callHook("fsync-dir", dir);
  int dirFd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int err = 0;
  if (dirFd < 0 || ::fsync(dirFd) != 0) err = errno;
  if (dirFd >= 0) ::close(dirFd);
  if (err != 0)
    ioError(path_, "file written but directory '" + dir +
                       "' could not be synced: " + std::strerror(err));
}

void AtomicFile::fail(const std::string& what, int err) const {
  ioError(path_, what + ": " + std::strerror(err) +
                     " (temporary file removed, previous file untouched)");
}

void writeFileAtomically(const std::string& path, std::string_view bytes) {
  AtomicFile out(path);
  out.write(bytes);
  out.commit();
}

}  // namespace tapeflow
