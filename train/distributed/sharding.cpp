// train/distributed/sharding.cpp - evaluation shards and reductions,
// buffers and the replica check.
#include "train/distributed/sharding.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace tapeflow {

std::shared_ptr<const DataSource> evaluationShard(std::shared_ptr<const DataSource> source,
                                                  int rank, int ranks) {
  if (ranks <= 1) return source;
  const int64_t n = source->size();
  const int64_t begin = n * rank / ranks, end = n * (rank + 1) / ranks;
  return std::make_shared<RangeSource>(std::move(source), begin, end);
}

void reduceEval(Communicator& comm, EvalResult* r) {
  if (comm.size() == 1) return;
  std::vector<double> v = {double(r->samples), double(r->correct),
                           r->loss * double(r->samples)};
  for (int64_t c : r->confusion) v.push_back(double(c));
  for (const auto& [name, mean] : r->outputs) v.push_back(mean * double(r->samples));
  comm.allreduceSum(v.data(), v.size());
  r->samples = int64_t(std::llround(v[0]));
  r->correct = int64_t(std::llround(v[1]));
  r->loss = v[2] / double(std::max<int64_t>(r->samples, 1));
  for (size_t i = 0; i < r->confusion.size(); ++i)
    r->confusion[i] = int64_t(std::llround(v[3 + i]));
  size_t at = 3 + r->confusion.size();
  for (auto& [name, mean] : r->outputs) mean = v[at++] / double(std::max<int64_t>(r->samples, 1));
  int64_t ns = -int64_t(r->seconds * 1e9);  // the slowest rank: min of -time
  comm.allreduceMin(&ns, 1);
  r->seconds = double(-ns) * 1e-9;
}

void broadcastBuffers(Communicator& comm, ParamStore& store) {
  if (comm.size() == 1) return;
  for (int p = 0; p < store.numParams(); ++p) {
    if (store.def(p).trainable) continue;
    comm.broadcast(store.data(p), size_t(store.size(p)), 0);
  }
}

uint64_t paramHash(ParamStore& store) {
  uint64_t h = 1469598103934665603ull;
  for (int p = 0; p < store.numParams(); ++p) {
    const unsigned char* b = reinterpret_cast<const unsigned char*>(store.data(p));
    const size_t n = size_t(store.size(p)) * sizeof(float);
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  }
  return h;
}

void checkReplicas(Communicator& comm, ParamStore& store, int64_t step) {
  if (comm.size() == 1) return;
  const std::vector<uint64_t> all = comm.allgather(paramHash(store));
  for (size_t q = 1; q < all.size(); ++q) {
    if (all[q] == all[0]) continue;
    char text[256];
    std::snprintf(text, sizeof text,
                  "error: replica check at step %lld: the parameters of rank %zu differ "
                  "from rank 0's (hash %016llx, rank 0 %016llx); the ranks diverged",
                  static_cast<long long>(step), q, static_cast<unsigned long long>(all[q]),
                  static_cast<unsigned long long>(all[0]));
    throw DistributedError(text, ExitCode::Numerical, int(q));
  }
}

}  // namespace tapeflow
