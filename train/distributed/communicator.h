// train/distributed/communicator.h - the collectives data-parallel training
// needs, behind an interface: a single-process implementation here and an
// MPI one (mpi_communicator.cpp, compiled only when CMake finds MPI). The
// rest of train/ talks to this interface and never includes mpi.h.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"

namespace tapeflow {

/// An error every rank agreed on (see agreeOnFailure): the same message,
/// naming the rank that failed, and the exit code of the original error.
class DistributedError : public Error {
 public:
  /// `text` is the failed rank's error line; what() is "rank R: <text>".
  DistributedError(const std::string& text, ExitCode code, int failedRank)
      : Error({}, "", "", "rank " + std::to_string(failedRank) + ": " + text),
        text_(text),
        line_("rank " + std::to_string(failedRank) + ": " + text),
        code_(code),
        failedRank_(failedRank) {}
  const char* what() const noexcept override { return line_.c_str(); }
  ExitCode exitCode() const override { return code_; }
  int failedRank() const { return failedRank_; }
  /// The failed rank's error line, without the rank.
  const std::string& text() const { return text_; }

 private:
  std::string text_, line_;
  ExitCode code_;
  int failedRank_;
};

/// A group of ranks that train one model together. Every collective must
/// be called by every rank in the same order; MPI implementations wait at
/// most timeoutSeconds() for a collective and then abort the whole job with
/// an error naming the rank and the collective (no hang).
class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Element-wise sum over ranks, in place; every rank gets the result.
  virtual void allreduceSum(float* data, size_t n) = 0;
  /// Starts the element-wise sum of data[0, n) over ranks, in place, and
  /// returns at once; every rank starts the same sequence. progress()
  /// moves started sums on (MPI has no progress thread: call it often);
  /// finishAllreduces() completes them all (its time counts as allreduce
  /// time). The defaults sum at once.
  virtual void startAllreduceSum(float* data, size_t n) { allreduceSum(data, n); }
  virtual void progress() {}
  virtual void finishAllreduces() {}
  virtual void allreduceSum(double* data, size_t n) = 0;
  /// Element-wise minimum over ranks, in place.
  virtual void allreduceMin(int64_t* data, size_t n) = 0;
  /// Every rank's value, in rank order.
  virtual std::vector<uint64_t> allgather(uint64_t value) = 0;
  /// Copies root's values (or string) to every rank.
  virtual void broadcast(float* data, size_t n, int root) = 0;
  virtual void broadcast(std::string* s, int root) = 0;
  /// Ends every rank of the job at once with `code`, after printing
  /// `message` (one line, prefixed with this rank) on stderr.
  [[noreturn]] virtual void abort(const std::string& message, int code) = 0;
  /// "single process" or "MPI (Open MPI v4.1.4), 2 ranks".
  virtual std::string describe() const = 0;

  /// Time spent in allreduceSum of floats (the gradient allreduce) and how
  /// many calls; for the profiler and the scaling figures.
  double allreduceSeconds() const { return allreduceSeconds_; }
  int64_t allreduceCalls() const { return allreduceCalls_; }

 protected:
  double allreduceSeconds_ = 0;
  int64_t allreduceCalls_ = 0;
};

/// One process, one rank: the collectives are identities.
class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void allreduceSum(float*, size_t) override {}
  void allreduceSum(double*, size_t) override {}
  void allreduceMin(int64_t*, size_t) override {}
  std::vector<uint64_t> allgather(uint64_t value) override { return {value}; }
  void broadcast(float*, size_t, int) override {}
  void broadcast(std::string*, int) override {}
  [[noreturn]] void abort(const std::string& message, int code) override;
  std::string describe() const override { return "single process"; }
};

/// Ranks the launcher started (mpirun sets OMPI_COMM_WORLD_SIZE, MPICH and
/// Slurm's PMI set PMI_SIZE); 1 when neither is set.
int launchedRanks();

/// What a build without MPI does when started by a launcher: throws
/// UsageError ("... built without MPI ...") when launchedRanks() > 1.
void refuseRanksWithoutMpi();

/// True when this binary was built with MPI (CMake option TAPEFLOW_WITH_MPI).
bool builtWithMpi();

/// The world of ranks of this job: MPI's world when the process was started
/// by mpirun (MPI is initialised here and finalised when the last reference
/// goes), a SingleProcess otherwise. `timeoutSeconds` bounds every
/// collective (0: no bound). Throws UsageError when the launcher started
/// more than one rank and this binary was built without MPI.
std::shared_ptr<Communicator> openWorld(double timeoutSeconds);

/// The agreement point of a collective section: every rank passes the
/// exception it caught (or null). When no rank failed this returns; when
/// some did, every rank throws the same DistributedError naming the lowest
/// failed rank with its message and exit code. On a single process the
/// exception itself is rethrown.
void agreeOnFailure(Communicator& comm, std::exception_ptr local);

/// The message and exit code of an exception (any type).
std::pair<std::string, ExitCode> describeException(std::exception_ptr e);

}  // namespace tapeflow
