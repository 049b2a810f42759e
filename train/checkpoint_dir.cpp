// train/checkpoint_dir.cpp - a run's checkpoint directory: lock,
// step checkpoints, "latest" pointer, best checkpoint and pruning.
#include "train/checkpoint.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>

#include "core/atomic_file.h"
#include "core/error.h"

namespace tapeflow {
namespace {

constexpr size_t kMaxPointerBytes = 4096;
constexpr const char* kLatestName = "latest";
constexpr const char* kBestName = "best.tfck";
constexpr const char* kLockName = "lock";

std::string osError(int err) { return std::strerror(err); }

[[noreturn]] void dataError(const std::string& path, const std::string& msg) {
  throw DataError(SourceLoc{path, 0, 0}, "", "", msg);
}
[[noreturn]] void ioError(const std::string& path, const std::string& msg) {
  throw IoError(SourceLoc{path, 0, 0}, "", "", msg);
}
[[noreturn]] void usageError(const std::string& path, const std::string& msg) {
  throw UsageError(SourceLoc{path, 0, 0}, "", "", msg);
}

std::string joinPath(const std::string& dir, const std::string& name) {
  if (!dir.empty() && dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

/// Closes a file descriptor on scope exit.
struct FdCloser {
  int fd = -1;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

/// Step of "ckpt-<step>.tfck", or -1 for any other name.
int64_t stepOfName(const std::string& name) {
  const std::string prefix = "ckpt-", suffix = ".tfck";
  if (name.size() <= prefix.size() + suffix.size() ||
      name.compare(0, prefix.size(), prefix) != 0 ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return -1;
  }
  std::string digits =
      name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  if (digits.size() > 18) return -1;
  int64_t step = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return -1;
    step = step * 10 + (c - '0');
  }
  return step;
}

/// Names in `dir` accepted by `keep`, via readdir (IoError on failure).
template <typename Pred>
std::vector<std::string> listDir(const std::string& dir, Pred keep) {
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) ioError(dir, "cannot list checkpoint directory: " + osError(errno));
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d.get())) {
    std::string name = e->d_name;
    if (keep(name)) names.push_back(name);
  }
  return names;
}

/// ckpt-*.tfck names in `dir`, newest step first.
std::vector<std::pair<int64_t, std::string>> stepCheckpoints(
    const std::string& dir) {
  std::vector<std::pair<int64_t, std::string>> out;
  for (const std::string& name :
       listDir(dir, [](const std::string& n) { return stepOfName(n) >= 0; })) {
    out.emplace_back(stepOfName(name), name);
  }
  std::sort(out.rbegin(), out.rend());
  return out;
}

/// True for a temporary file of an atomic write in a checkpoint directory.
bool isStaleTemp(const std::string& name) {
  size_t at = name.rfind(".tmp-");
  if (at == std::string::npos || at + 5 == name.size()) return false;
  for (size_t i = at + 5; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
  }
  std::string base = name.substr(0, at);
  return base == kLatestName || base == kBestName || stepOfName(base) >= 0;
}

}  // namespace

CheckpointDir::CheckpointDir(const std::string& dir, int keep)
    : dir_(dir), keep_(keep) {
  if (keep < 0) {
    usageError(dir, "keep is " + std::to_string(keep) +
                        ", expected >= 0 (0 keeps every checkpoint)");
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      ioError(dir, "checkpoint directory path exists and is not a directory");
    }
  } else {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      ioError(dir, "cannot create checkpoint directory: " + ec.message());
    }
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    ioError(dir, "checkpoint directory is not writable: " + osError(errno));
  }
  std::string lockPath = joinPath(dir, kLockName);
  int fd = ::open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    ioError(lockPath, "cannot open lock file: " + osError(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    char buf[32] = {};
    ssize_t r = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    std::string pid = r > 0 ? std::string(buf, static_cast<size_t>(r)) : "";
    pid.erase(std::find_if(pid.begin(), pid.end(),
                           [](char c) { return c < '0' || c > '9'; }),
              pid.end());
    if (err == EWOULDBLOCK) {
      ioError(dir,
              "checkpoint directory is in use by another trainer "
              "(lock held by pid " +
                  (pid.empty() ? std::string("unknown") : pid) + ")");
    }
    ioError(lockPath, "cannot lock: " + osError(err));
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) !=
                                     static_cast<ssize_t>(pid.size())) {
    int err = errno;
    ::close(fd);
    ioError(lockPath, "cannot write lock file: " + osError(err));
  }
  lockFd_ = fd;
  // We hold the lock, so temporaries here belong to an interrupted save.
  for (const std::string& name : listDir(dir_, isStaleTemp)) {
    ::unlink(joinPath(dir_, name).c_str());
  }
}

CheckpointDir::~CheckpointDir() {
  if (lockFd_ >= 0) ::close(lockFd_);
}

CheckpointDir::CheckpointDir(CheckpointDir&& other) noexcept
    : dir_(std::move(other.dir_)),
      keep_(other.keep_),
      lockFd_(std::exchange(other.lockFd_, -1)) {}

CheckpointDir& CheckpointDir::operator=(CheckpointDir&& other) noexcept {
  if (this != &other) {
    if (lockFd_ >= 0) ::close(lockFd_);
    dir_ = std::move(other.dir_);
    keep_ = other.keep_;
    lockFd_ = std::exchange(other.lockFd_, -1);
  }
  return *this;
}

std::string CheckpointDir::save(const CheckpointData& data, bool isBest) {
  if (data.step < 0) {
    usageError(dir_,
               "step is " + std::to_string(data.step) + ", expected >= 0");
  }
  std::string name = "ckpt-" + std::to_string(data.step) + ".tfck";
  std::string path = joinPath(dir_, name);
  writeCheckpoint(path, data);
  writeFileAtomically(joinPath(dir_, kLatestName), name + "\n");
  if (isBest) writeCheckpoint(joinPath(dir_, kBestName), data);
  if (keep_ > 0) {
    auto all = stepCheckpoints(dir_);  // newest first
    size_t kept = 1;                   // the one just written
    for (const auto& [step, other] : all) {
      if (other == name || kept++ < static_cast<size_t>(keep_)) continue;
      std::string old = joinPath(dir_, other);
      if (::unlink(old.c_str()) != 0) {
        std::cerr << old << ": warning: cannot remove old checkpoint: "
                  << osError(errno) << "\n";
      }
    }
  }
  return path;
}

std::string CheckpointDir::latest() const {
  std::vector<std::string> rejected;
  std::string tried;
  std::string pointerPath = joinPath(dir_, kLatestName);
  std::string reason;
  FdCloser fd{::open(pointerPath.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.fd < 0) {
    reason = "cannot open: " + osError(errno);
  } else {
    char buf[kMaxPointerBytes + 1];
    ssize_t r;
    do {
      r = ::pread(fd.fd, buf, sizeof buf, 0);
    } while (r < 0 && errno == EINTR);
    std::string name = r > 0 ? std::string(buf, static_cast<size_t>(r)) : "";
    while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) {
      name.pop_back();
    }
    if (r < 0) {
      reason = "cannot read: " + osError(errno);
    } else if (name.empty() || static_cast<size_t>(r) > kMaxPointerBytes ||
               name.find_first_of(std::string("/\n\0", 3)) !=
                   std::string::npos ||
               name[0] == '.') {
      reason = "malformed, expected the name of a checkpoint file";
    } else {
      tried = name;
      try {
        readCheckpoint(joinPath(dir_, name));
        return joinPath(dir_, name);
      } catch (const Error& e) {
        reason = "names '" + name + "': " + e.message();
      }
    }
  }
  rejected.push_back("latest (" + reason + ")");
  auto all = stepCheckpoints(dir_);
  for (const auto& [step, name] : all) {
    if (name == tried) continue;
    std::string path = joinPath(dir_, name);
    try {
      readCheckpoint(path);
    } catch (const Error& e) {
      rejected.push_back(name + " (" + e.message() + ")");
      continue;
    }
    std::cerr << pointerPath << ": warning: " << reason << "; using " << path
              << "\n";
    return path;
  }
  if (all.empty() && tried.empty()) {
    dataError(dir_,
              "no checkpoint found (no 'latest' file and no "
              "ckpt-<step>.tfck files)");
  }
  std::string msg = "no valid checkpoint: ";
  for (size_t i = 0; i < rejected.size(); ++i) {
    msg += (i ? "; " : "") + rejected[i];
  }
  dataError(dir_, msg);
}

}  // namespace tapeflow
