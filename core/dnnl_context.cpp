// core/dnnl_context.cpp - engine and stream singletons.
#include "core/dnnl_context.h"

#include <omp.h>

namespace tapeflow {

dnnl::engine& cpuEngine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

dnnl::stream& cpuStream() {
  static dnnl::stream strm(cpuEngine());
  return strm;
}

void setNumThreads(int n) {
  if (n > 0) omp_set_num_threads(n);
}

int numThreads() { return omp_get_max_threads(); }

ThreadLimit::ThreadLimit(int threads) {
  if (threads <= 0) return;
  const int current = omp_get_max_threads();
  if (threads >= current) return;
  saved_ = current;
  omp_set_num_threads(threads);
}

ThreadLimit::~ThreadLimit() {
  if (saved_ > 0) omp_set_num_threads(saved_);
}

}  // namespace tapeflow
