// train/distributed/sharding.h - what data-parallel ranks share besides
// gradients: each rank's part of the evaluation set, the reduction of the
// evaluation results, buffers (BatchNorm's running statistics) kept equal
// across ranks, and the parameter hash behind --check-replicas.
#pragma once

#include <cstdint>
#include <memory>

#include "core/param_store.h"
#include "train/data/data_source.h"
#include "train/distributed/communicator.h"
#include "train/evaluation.h"

namespace tapeflow {

/// Samples [begin, end) of another source, in order.
class RangeSource final : public DataSource {
 public:
  RangeSource(std::shared_ptr<const DataSource> source, int64_t begin, int64_t end)
      : source_(std::move(source)), begin_(begin), end_(end) {}
  const std::vector<FieldSpec>& fields() const override { return source_->fields(); }
  int64_t size() const override { return end_ - begin_; }
  void read(int64_t index, void* const* dst) const override {
    source_->read(begin_ + index, dst);
  }
  uint64_t fingerprint() const override { return source_->fingerprint(); }
  std::string describe() const override { return source_->describe(); }

 private:
  std::shared_ptr<const DataSource> source_;
  int64_t begin_, end_;
};

/// The contiguous part of `source` that `rank` of `ranks` evaluates (every
/// sample belongs to exactly one rank; parts differ by at most one).
std::shared_ptr<const DataSource> evaluationShard(std::shared_ptr<const DataSource> source,
                                                  int rank, int ranks);

/// Sums samples, correct predictions, loss and the confusion matrix of
/// every rank's shard into `r` (on every rank); the loss and each logged
/// output become the mean over all samples, the time the longest.
void reduceEval(Communicator& comm, EvalResult* r);

/// Copies rank 0's non-trainable params (running statistics) to every
/// rank, as PyTorch DDP broadcasts buffers: each rank's BatchNorm updates
/// them from its local batch. Does nothing when there are none.
void broadcastBuffers(Communicator& comm, ParamStore& store);

/// FNV-1a hash of every param's bytes, in store order.
uint64_t paramHash(ParamStore& store);

/// Compares paramHash across ranks; every rank throws the same
/// DistributedError naming the first rank whose params differ from rank
/// 0's at `step`.
void checkReplicas(Communicator& comm, ParamStore& store, int64_t step);

}  // namespace tapeflow
