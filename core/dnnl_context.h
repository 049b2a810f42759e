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

}  // namespace tapeflow
