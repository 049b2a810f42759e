// tests/fuzz/fuzz_support.h - helpers shared by the libFuzzer harnesses.
//
// Every harness feeds bytes to one reader and accepts exactly two outcomes:
// the input is accepted, or a tapeflow::Error is thrown. Anything else (a
// crash, a sanitizer report, another exception type escaping, a timeout, an
// allocation past -rss_limit_mb) is a finding.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace tapeflow::fuzz {

/// The bytes as an anonymous in-memory file, for readers that take a path
/// (IDX, checkpoints): path() is /proc/self/fd/N, readable while alive.
class MemFile {
 public:
  MemFile(const uint8_t* data, size_t size) {
    fd_ = ::memfd_create("fuzz", MFD_CLOEXEC);
    if (fd_ < 0) std::abort();  // the harness itself is broken
    size_t done = 0;
    while (done < size) {
      ssize_t w = ::write(fd_, data + done, size - done);
      if (w <= 0) std::abort();
      done += static_cast<size_t>(w);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;

  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

inline std::string asString(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

}  // namespace tapeflow::fuzz

/// libFuzzer's own mutator, for custom mutators that post-process its output.
extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t maxSize);
