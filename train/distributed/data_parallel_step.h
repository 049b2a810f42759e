// train/distributed/data_parallel_step.h - one step of data-parallel
// training: every rank runs forward and backward on its slice of the global
// batch (as `accumulate` micro-batches), the gradients are summed over
// ranks with one allreduce of a contiguous buffer and divided by
// ranks x micro-batches, and every rank applies the same update.
//
// Each rank's loss is the mean over its slice and the slices are equal, so
// the averaged gradient is the gradient of the global batch's mean loss:
// N ranks with global batch B follow one process with batch B, up to the
// order of floating-point sums. The same allreduce carries each rank's
// loss, the number of correct predictions, a stop request (so that every
// rank stops after the same step) and a failure flag (so that an error on
// one rank stops every rank with that rank's message, see agreeOnFailure).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "train/distributed/bucketed_allreduce.h"
#include "train/distributed/communicator.h"
#include "train/distributed/gradient_buffer.h"
#include "train/train_step.h"

namespace tapeflow {

/// The slice [offset, offset + count) of a batch's samples.
Batch sliceBatch(const Batch& batch, int64_t offset, int64_t count);

/// The slice of a global batch of `global` samples that `rank` of `ranks`
/// trains on: {offset, count}. Throws UsageError naming both numbers when
/// `global` is not a multiple of ranks x accumulate.
std::pair<int64_t, int64_t> rankSlice(int64_t global, int rank, int ranks, int accumulate);

class DataParallelStep {
 public:
  struct Result {
    float loss = 0;        ///< mean loss of the global batch
    int64_t correct = -1;  ///< correct predictions in the global batch (-1: unknown)
    float lr = 0;
    bool stop = false;     ///< some rank asked to stop: every rank stops now
    std::vector<double> outputs;  ///< each logged output, the global batch's mean
  };

  /// `prediction`, `labelField` and `classes` count correct predictions
  /// (labelField empty: none); `logged` names f32 scalar outputs (each a
  /// mean over the samples) reduced with the loss. With several ranks, one
  /// micro-batch and `bucketFloats` > 0 the allreduce runs in buckets of
  /// about that many floats overlapped with the backward pass
  /// (bucketed_allreduce.h); otherwise as one call after it. `store` and
  /// `step` must outlive this.
  DataParallelStep(Communicator& comm, TrainStep& step, ParamStore& store, int accumulate,
                   std::string prediction, std::string labelField, int64_t classes,
                   std::vector<std::string> logged = {}, size_t bucketFloats = 0);

  /// Runs global step `step` on this rank's slice `local`. `stopLocal`
  /// is this rank's stop request. An error on any rank (a non-finite loss,
  /// bad data) throws the same DistributedError on every rank before any
  /// param is updated.
  Result run(PlanCache& plans, const Batch& local, int64_t step, bool stopLocal,
             StepObserver* observer = nullptr);

 private:
  Communicator& comm_;
  TrainStep& step_;
  int accumulate_;
  std::string prediction_, labelField_;
  int64_t classes_;
  std::vector<std::string> logged_;
  GradientBuffer buffer_;
  std::optional<BucketedAllreduce> overlap_;
};

}  // namespace tapeflow
