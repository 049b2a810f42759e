// train/distributed/bucketed_allreduce.cpp - buckets, packing as the
// backward pass finishes gradients, and starting them in order.
#include "train/distributed/bucketed_allreduce.h"

namespace tapeflow {

BucketedAllreduce::BucketedAllreduce(Communicator& comm, GradientBuffer& buffer,
                                     ParamStore& store, size_t bucketFloats)
    : comm_(comm), buffer_(buffer), store_(store) {
  const auto& slots = buffer.slots();
  size_t inBucket = 0;
  for (size_t s = 0; s < slots.size(); ++s) {
    inBucket += slots[s].size;
    // A bucket closes once it holds bucketFloats; the rest of the buffer
    // goes with the extras.
    if (inBucket >= bucketFloats && s + 1 < slots.size()) {
      bucketEnd_.push_back(s + 1);
      inBucket = 0;
    }
  }
}

void BucketedAllreduce::begin() {
  current_ = nullptr;
  packed_.assign(buffer_.slots().size(), false);
  nextSlot_ = nextBucket_ = overlapped_ = 0;
}

void BucketedAllreduce::attach(Plan& plan) {
  plan_ = &plan;
  inner_ = plan.observer();
  plan.setObserver(this);
}

void BucketedAllreduce::beginNode(int node, bool backward) {
  if (inner_) inner_->beginNode(node, backward);
  if (!backward || current_) return;
  // The first backward node: the tape is recorded; which node finishes
  // which gradient is the same every step of this plan.
  auto [it, fresh] = finalizes_.try_emplace(plan_);
  if (fresh) {
    const auto& slots = buffer_.slots();
    for (size_t s = 0; s < slots.size(); ++s)
      it->second.emplace(plan_->gradientFinalAfter(store_.valueIndex(slots[s].param)), s);
  }
  current_ = &it->second;
}

void BucketedAllreduce::endNode(int node, bool backward) {
  if (inner_) inner_->endNode(node, backward);
  if (!backward || !current_) return;
  auto [from, to] = current_->equal_range(node);
  if (from == to) return comm_.progress();
  for (auto it = from; it != to; ++it) {
    buffer_.pack(it->second);
    packed_[it->second] = true;
  }
  startReady();
  overlapped_ = nextBucket_;
  comm_.progress();
}

void BucketedAllreduce::startReady() {
  const auto& slots = buffer_.slots();
  while (nextBucket_ < bucketEnd_.size()) {
    const size_t end = bucketEnd_[nextBucket_];
    while (nextSlot_ < end && packed_[nextSlot_]) ++nextSlot_;
    if (nextSlot_ < end) return;
    const size_t begin = nextBucket_ == 0 ? 0 : bucketEnd_[nextBucket_ - 1];
    const size_t offset = slots[begin].offset;
    const size_t floats = slots[end - 1].offset + slots[end - 1].size - offset;
    comm_.startAllreduceSum(buffer_.data() + offset, floats);
    ++nextBucket_;
  }
}

void BucketedAllreduce::finish() {
  if (plan_) plan_->setObserver(inner_);
  plan_ = nullptr;
  const auto& slots = buffer_.slots();
  for (size_t s = 0; s < slots.size(); ++s)
    if (!packed_[s]) {
      buffer_.pack(s);
      packed_[s] = true;
    }
  startReady();
  const size_t begin = bucketEnd_.empty() ? 0 : bucketEnd_.back();
  const size_t offset = begin < slots.size() ? slots[begin].offset : buffer_.gradientFloats();
  comm_.startAllreduceSum(buffer_.data() + offset, buffer_.size() - offset);
  comm_.finishAllreduces();
}

}  // namespace tapeflow
