// train/data/batch_loader.cpp - deterministic batches, prefetched.
#include "train/data/batch_loader.h"

#include <algorithm>
#include <numeric>

#include "core/param_store.h"

namespace tapeflow {
namespace {

uint64_t mix(uint64_t a, uint64_t b) {
  Rng r(a ^ (b * 0x9E3779B97F4A7C15ull));
  return r.next();
}

}  // namespace

BatchLoader::BatchLoader(const data::Dataset& data, TransformConfig transform,
                         int64_t batchSize, uint64_t seed)
    : data_(data), transform_(std::move(transform)), batch_(batchSize), seed_(seed) {
  rows_ = std::max(data_.images.rows, transform_.padTo);
  cols_ = std::max(data_.images.cols, transform_.padTo);
}

BatchLoader::~BatchLoader() { stop(); }

int64_t BatchLoader::batchesPerEpoch() const {
  return (data_.images.count + batch_ - 1) / batch_;
}

int64_t BatchLoader::batchSize(int64_t index) const {
  return std::min(batch_, data_.images.count - index * batch_);
}

std::vector<int64_t> BatchLoader::order(int64_t epoch) const {
  std::vector<int64_t> idx(size_t(data_.images.count));
  std::iota(idx.begin(), idx.end(), 0);
  if (!transform_.shuffle) return idx;
  Rng rng(mix(seed_, uint64_t(epoch) + 1));
  for (int64_t i = int64_t(idx.size()) - 1; i > 0; --i)
    std::swap(idx[size_t(i)], idx[size_t(rng.next() % uint64_t(i + 1))]);
  return idx;
}

void BatchLoader::fill(int64_t epoch, int64_t index, Batch* out) const {
  const int64_t n = batchSize(index);
  const int64_t r0 = data_.images.rows, c0 = data_.images.cols;
  const int64_t plane = rows_ * cols_;
  out->epoch = epoch;
  out->index = index;
  out->size = n;
  out->images.assign(size_t(n * plane), 0.f);
  out->labels.resize(size_t(n));
  // Order of the whole epoch; cheap next to the pixel work of one batch.
  std::vector<int64_t> perm = order(epoch);
  const bool standard = transform_.normalize == "standard";
  const float scale = standard ? 1.f / (255.f * transform_.stddev) : 1.f / 255.f;
  const float shift = standard ? -transform_.mean / transform_.stddev : 0.f;
  for (int64_t k = 0; k < n; ++k) {
    int64_t sample = perm[size_t(index * batch_ + k)];
    out->labels[size_t(k)] = data_.labels.labels[size_t(sample)];
    int64_t dy = 0, dx = 0;
    if (transform_.randomShift > 0) {
      Rng rng(mix(mix(seed_, uint64_t(epoch) + 7), uint64_t(sample)));
      int64_t span = 2 * transform_.randomShift + 1;
      dy = int64_t(rng.next() % uint64_t(span)) - transform_.randomShift;
      dx = int64_t(rng.next() % uint64_t(span)) - transform_.randomShift;
    }
    const int64_t top = (rows_ - r0) / 2 + dy, left = (cols_ - c0) / 2 + dx;
    const uint8_t* src = data_.images.pixels.data() + sample * r0 * c0;
    float* dst = out->images.data() + k * plane;
    // Background: what a zero pixel becomes after normalisation.
    if (shift != 0.f) std::fill(dst, dst + plane, shift);
    for (int64_t y = 0; y < r0; ++y) {
      int64_t ty = y + top;
      if (ty < 0 || ty >= rows_) continue;
      for (int64_t x = 0; x < c0; ++x) {
        int64_t tx = x + left;
        if (tx < 0 || tx >= cols_) continue;
        dst[ty * cols_ + tx] = float(src[y * c0 + x]) * scale + shift;
      }
    }
  }
}

void BatchLoader::start(int64_t epoch, int64_t firstBatch) {
  stop();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = false;
    ready_.clear();
    epoch_ = epoch;
    nextIndex_ = firstBatch;
  }
  worker_ = std::thread([this, epoch, firstBatch] {
    for (int64_t b = firstBatch; b < batchesPerEpoch(); ++b) {
      Batch batch;
      fill(epoch, b, &batch);
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_ || ready_.size() < kDepth; });
      if (stop_) return;
      ready_.push_back(std::move(batch));
      cv_.notify_all();
    }
  });
}

bool BatchLoader::next(Batch* out) {
  std::unique_lock<std::mutex> lock(mu_);
  if (nextIndex_ >= batchesPerEpoch()) return false;
  cv_.wait(lock, [this] { return !ready_.empty() || stop_; });
  if (ready_.empty()) return false;
  *out = std::move(ready_.front());
  ready_.pop_front();
  ++nextIndex_;
  cv_.notify_all();
  return true;
}

void BatchLoader::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

}  // namespace tapeflow
