// frontends/pbtxt/pbtxt_internal.h - helpers of the graph writer
// (pbtxt_writer.cpp); not a public header. The reader's helpers are in
// core/text_proto.h.
#pragma once

#include <unistd.h>

#include <cstring>
#include <string>

#include "core/error.h"
#include "core/text_proto.h"

namespace tapeflow::pbtxt_detail {

using text_proto::clip;
using text_proto::quoted;

/// Throws IoError at `path`: "<what>: <strerror(err)>".
[[noreturn]] inline void ioFail(const std::string& path,
                                const std::string& what, int err) {
  throw IoError(SourceLoc{path, 0, 0}, "", "",
                what + ": " + std::strerror(err));
}

/// A file descriptor closed on scope exit (when still >= 0).
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace tapeflow::pbtxt_detail
