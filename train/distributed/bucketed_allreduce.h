// train/distributed/bucketed_allreduce.h - the gradient allreduce in
// buckets, overlapped with the backward pass (as PyTorch DDP does): the
// gradient buffer is cut into buckets of about `bucketFloats` floats; a
// node observer on the plan packs each param's gradient into the buffer as
// soon as the backward pass has finished it (Plan::gradientFinalAfter) and
// starts the bucket's non-blocking allreduce once the whole bucket is
// packed, while the backward pass goes on. Buckets start strictly in
// buffer order, so every rank starts the same sequence of collectives.
// The last bucket also carries the extra floats (loss, flags) and starts
// in finish(), after the backward pass, which completes everything.
#pragma once

#include <cstddef>
#include <map>
#include <vector>

#include "core/plan.h"
#include "train/distributed/communicator.h"
#include "train/distributed/gradient_buffer.h"

namespace tapeflow {

class BucketedAllreduce final : public NodeObserver {
 public:
  /// `buffer` and `comm` must outlive this.
  BucketedAllreduce(Communicator& comm, GradientBuffer& buffer, ParamStore& store,
                    size_t bucketFloats);

  /// Starts a step: no gradient packed, no bucket started.
  void begin();
  /// Watches `plan`'s next backward pass (chained before the plan's own
  /// observer, which keeps being called); call before forward().
  void attach(Plan& plan);
  /// After the backward pass (or after an error on this rank, with
  /// whatever the buffer holds): packs and starts every bucket not started
  /// yet, then the last one with the extras, waits for all and detaches.
  void finish();

  void beginNode(int node, bool backward) override;
  void endNode(int node, bool backward) override;

  /// Buckets of the last step started during the backward pass (the ones
  /// that overlapped with computation), and in all.
  size_t overlapped() const { return overlapped_; }
  size_t buckets() const { return bucketEnd_.size() + 1; }

 private:
  void startReady();

  Communicator& comm_;
  GradientBuffer& buffer_;
  ParamStore& store_;
  Plan* plan_ = nullptr;
  NodeObserver* inner_ = nullptr;
  std::vector<size_t> bucketEnd_;   // slot index one past each bucket but the last
  std::map<const Plan*, std::multimap<int, size_t>> finalizes_;  // node -> slots
  const std::multimap<int, size_t>* current_ = nullptr;
  std::vector<bool> packed_;
  size_t nextSlot_ = 0;    // first slot not yet known packed in order
  size_t nextBucket_ = 0;  // first bucket not started
  size_t overlapped_ = 0;
};

}  // namespace tapeflow
