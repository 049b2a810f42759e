// core/dnnl_context.h - the process's one oneDNN engine and stream.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

namespace tapeflow {

/// The CPU engine shared by every op (created on first use).
dnnl::engine& cpuEngine();
/// The in-order stream every primitive executes on.
dnnl::stream& cpuStream();
/// Sets the worker thread count (OpenMP). Call before preparing any plan:
/// oneDNN freezes the count into each primitive when it is created.
void setNumThreads(int n);
/// The current worker thread count.
int numThreads();

/// Lowers the calling thread's OpenMP team to `threads` while in scope and
/// restores it after (0, or not below the current count: no change). The
/// team size is a per-thread OpenMP setting, so other threads (the batch
/// loader) keep theirs. The plan runs tiny nodes under one (see
/// Plan::threads): oneDNN then creates and runs their primitives without
/// a parallel region.
class ThreadLimit {
 public:
  explicit ThreadLimit(int threads);
  ~ThreadLimit();
  ThreadLimit(const ThreadLimit&) = delete;
  ThreadLimit& operator=(const ThreadLimit&) = delete;

 private:
  int saved_ = 0;  ///< the team size to restore, 0: none
};

}  // namespace tapeflow
