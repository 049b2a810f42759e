// train/distributed/communicator.cpp - the single-process communicator,
// launcher detection and the failure agreement shared by every
// implementation.
#include "train/distributed/communicator.h"

#include <cstdio>
#include <cstdlib>
#include <limits>
#include <new>

namespace tapeflow {

void SingleProcess::abort(const std::string& message, int code) {
  std::fprintf(stderr, "%s\n", message.c_str());
  std::fflush(stderr);
  std::_Exit(code);
}

int launchedRanks() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}) {
    const char* v = std::getenv(var);
    if (v && *v) {
      char* end = nullptr;
      long n = std::strtol(v, &end, 10);
      if (end && *end == '\0' && n >= 1 && n < (1L << 30)) return int(n);
    }
  }
  return 1;
}

void refuseRanksWithoutMpi() {
  const int n = launchedRanks();
  if (n > 1)
    throw UsageError({}, "", "", "started as one of " + std::to_string(n) +
                                     " ranks, but this tapeflow was built without MPI; "
                                     "rebuild with libopenmpi-dev installed "
                                     "(cmake -DTAPEFLOW_WITH_MPI=ON) or run one process");
}

std::pair<std::string, ExitCode> describeException(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const Error& err) {
    return {err.what(), err.exitCode()};
  } catch (const std::bad_alloc&) {
    return {"error: out of memory", ExitCode::Resource};
  } catch (const std::exception& err) {
    return {std::string("internal error: ") + err.what(), ExitCode(1)};
  } catch (...) {
    return {"internal error: unknown exception", ExitCode(1)};
  }
}

void agreeOnFailure(Communicator& comm, std::exception_ptr local) {
  if (comm.size() == 1) {
    if (local) std::rethrow_exception(local);
    return;
  }
  constexpr int64_t kNone = std::numeric_limits<int64_t>::max();
  int64_t first = local ? comm.rank() : kNone;
  comm.allreduceMin(&first, 1);
  if (first == kNone) return;
  std::string packed;
  if (comm.rank() == first) {
    auto [text, code] = describeException(local);
    packed = std::to_string(int(code)) + "\n" + text;
  }
  comm.broadcast(&packed, int(first));
  const size_t nl = packed.find('\n');
  const int code = std::atoi(packed.substr(0, nl).c_str());
  throw DistributedError(packed.substr(nl + 1), ExitCode(code), int(first));
}

}  // namespace tapeflow
