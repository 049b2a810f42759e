// tools/main.cpp - `tapeflow <command> ...`: the error boundary (every
// tapeflow::Error becomes one line on stderr and its exit code).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <exception>
#include <new>

#include "core/error.h"
#include "tools/cli.h"
#include "tools/stop_signal.h"

namespace {

// A closed stdin, stdout or stderr (`tapeflow train ... >&-`) is reopened on
// /dev/null: otherwise the next file opened (a checkpoint) would get its
// number and receive what is printed.
void reopenClosedStandardFds() {
  for (int fd = 0; fd <= 2; ++fd)
    if (::fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
      int got = ::open("/dev/null", O_RDWR);
      if (got >= 0 && got != fd) ::close(got);
    }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tapeflow;
  reopenClosedStandardFds();
  cli::startSignalThread();  // before any other thread exists
  try {
    return cli::runCommandLine(argc, argv);
  } catch (const Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return static_cast<int>(e.exitCode());
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "tapeflow: error: out of memory\n");
    return 3;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tapeflow: internal error: %s\n", e.what());
    return 1;
  }
}
