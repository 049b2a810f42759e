// train/distributed/mpi_communicator.cpp - the Communicator over MPI's
// world (compiled only when CMake finds MPI; TAPEFLOW_WITH_MPI).
//
// Every collective is MPI's non-blocking one, completed by polling
// MPI_Test against a deadline: Open MPI has no timeout on blocking
// collectives, and a rank that stops responding (stopped, deadlocked, cut
// off) must not hang the others. Past the deadline the job is aborted with
// one line naming this rank and the collective. Errors of MPI itself are
// returned (MPI_ERRORS_RETURN), not fatal, so that they are reported the
// same way. A rank that dies is noticed by mpirun, which ends the others.
#include <mpi.h>

#include <sched.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "train/distributed/communicator.h"

namespace tapeflow {
namespace {

using Clock = std::chrono::steady_clock;

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator(double timeoutSeconds) : timeout_(timeoutSeconds) {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(version, &len);
    library_.assign(version, size_t(len));
    library_ = library_.substr(0, library_.find_first_of(",\n"));
  }
  ~MpiCommunicator() override { MPI_Finalize(); }

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void allreduceSum(float* data, size_t n) override {
    const auto t0 = Clock::now();
    MPI_Request r;
    check(MPI_Iallreduce(MPI_IN_PLACE, data, count(n), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &r),
          "allreduce");
    wait(&r, "allreduce of the gradients");
    allreduceSeconds_ += std::chrono::duration<double>(Clock::now() - t0).count();
    ++allreduceCalls_;
  }
  void startAllreduceSum(float* data, size_t n) override {
    MPI_Request r;
    check(MPI_Iallreduce(MPI_IN_PLACE, data, count(n), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &r),
          "allreduce");
    pending_.push_back(r);
    ++allreduceCalls_;
  }
  void progress() override {
    for (MPI_Request& r : pending_) {
      if (r == MPI_REQUEST_NULL) continue;
      int done = 0;
      check(MPI_Test(&r, &done, MPI_STATUS_IGNORE), "allreduce");
    }
  }
  void finishAllreduces() override {
    const auto t0 = Clock::now();
    for (MPI_Request& r : pending_)
      if (r != MPI_REQUEST_NULL) wait(&r, "allreduce of the gradients");
    pending_.clear();
    allreduceSeconds_ += std::chrono::duration<double>(Clock::now() - t0).count();
  }
  void allreduceSum(double* data, size_t n) override {
    MPI_Request r;
    check(MPI_Iallreduce(MPI_IN_PLACE, data, count(n), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD, &r),
          "allreduce");
    wait(&r, "allreduce");
  }
  void allreduceMin(int64_t* data, size_t n) override {
    MPI_Request r;
    check(MPI_Iallreduce(MPI_IN_PLACE, data, count(n), MPI_INT64_T, MPI_MIN, MPI_COMM_WORLD,
                         &r),
          "allreduce");
    wait(&r, "allreduce");
  }
  std::vector<uint64_t> allgather(uint64_t value) override {
    std::vector<uint64_t> all(size_t(size_), 0);
    MPI_Request r;
    check(MPI_Iallgather(&value, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T, MPI_COMM_WORLD,
                         &r),
          "allgather");
    wait(&r, "allgather");
    return all;
  }
  void broadcast(float* data, size_t n, int root) override {
    MPI_Request r;
    check(MPI_Ibcast(data, count(n), MPI_FLOAT, root, MPI_COMM_WORLD, &r), "broadcast");
    wait(&r, "broadcast");
  }
  void broadcast(std::string* s, int root) override {
    uint64_t n = s->size();
    MPI_Request r;
    check(MPI_Ibcast(&n, 1, MPI_UINT64_T, root, MPI_COMM_WORLD, &r), "broadcast");
    wait(&r, "broadcast");
    s->resize(size_t(n));
    if (n == 0) return;
    check(MPI_Ibcast(s->data(), count(size_t(n)), MPI_CHAR, root, MPI_COMM_WORLD, &r),
          "broadcast");
    wait(&r, "broadcast");
  }
  [[noreturn]] void abort(const std::string& message, int code) override {
    std::fprintf(stderr, "rank %d: %s\n", rank_, message.c_str());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);
  }
  std::string describe() const override {
    return "MPI (" + library_ + "), " + std::to_string(size_) + " ranks";
  }

 private:
  int count(size_t n) {
    if (n > size_t(1) << 30) abort("error: collective of " + std::to_string(n) +
                                       " elements is too large for one MPI call", 3);
    return int(n);
  }

  void check(int status, const char* what) {
    if (status == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(status, text, &len);
    abort(std::string("error: MPI ") + what + " failed: " + std::string(text, size_t(len)), 3);
  }

  // Completes a request, polling MPI_Test (which also moves the transfer
  // on: Open MPI has no progress thread) and yielding the core between
  // polls, since ranks may share cores. A wait past one second is a peer
  // busy with something else (rank 0 writing a checkpoint): from then on
  // the polls are a millisecond apart. Past the deadline the job ends.
  void wait(MPI_Request* r, const char* what) {
    const auto start = Clock::now();
    for (uint64_t polls = 0;; ++polls) {
      int done = 0;
      check(MPI_Test(r, &done, MPI_STATUS_IGNORE), what);
      if (done) return;
      if (polls % 1024 != 1023) {
        sched_yield();
        continue;
      }
      const double waited = std::chrono::duration<double>(Clock::now() - start).count();
      if (timeout_ > 0 && waited > timeout_) {
        char line[256];
        std::snprintf(line, sizeof line,
                      "error: %s did not complete within %g s: another rank stopped "
                      "responding (--collective-timeout sets the limit); stopping every rank",
                      what, timeout_);
        abort(line, 3);
      }
      if (waited > 1.0) {
        timespec ts{0, 1000 * 1000};
        nanosleep(&ts, nullptr);
      }
    }
  }

  double timeout_;
  std::vector<MPI_Request> pending_;  // started by startAllreduceSum
  int rank_ = 0, size_ = 1;
  std::string library_;
};

}  // namespace

bool builtWithMpi() { return true; }

std::shared_ptr<Communicator> openWorld(double timeoutSeconds) {
  if (launchedRanks() <= 1) return std::make_shared<SingleProcess>();
  return std::make_shared<MpiCommunicator>(timeoutSeconds);
}

}  // namespace tapeflow
