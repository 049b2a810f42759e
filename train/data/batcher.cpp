// train/data/batcher.cpp - deterministic batches of named tensors,
// prefetched.
#include "train/data/batcher.h"

#include <algorithm>
#include <numeric>

#include "core/param_store.h"

namespace tapeflow {
namespace {

uint64_t mix(uint64_t a, uint64_t b) {
  Rng r(a ^ (b * 0x9E3779B97F4A7C15ull));
  return r.next();
}

struct PixelMap {
  float scale, shift;
};

PixelMap pixelMap(const TransformConfig& t) {
  const bool standard = t.normalize == "standard";
  return {standard ? 1.f / (255.f * t.stddev) : 1.f / 255.f,
          standard ? -t.mean / t.stddev : 0.f};
}

// Pads, shifts and normalises one [C,H,W] image of raw intensities into
// dst, [C,rows,cols].
void placeImage(const float* src, const Dims& in, int64_t rows, int64_t cols, int64_t dy,
                int64_t dx, const PixelMap& m, float* dst) {
  const int64_t r0 = in[1], c0 = in[2];
  const int64_t top = (rows - r0) / 2 + dy, left = (cols - c0) / 2 + dx;
  for (int64_t c = 0; c < in[0]; ++c) {
    const float* s = src + c * r0 * c0;
    float* d = dst + c * rows * cols;
    // Background: what a zero pixel becomes after normalisation.
    std::fill(d, d + rows * cols, m.shift);
    for (int64_t y = 0; y < r0; ++y) {
      int64_t ty = y + top;
      if (ty < 0 || ty >= rows) continue;
      for (int64_t x = 0; x < c0; ++x) {
        int64_t tx = x + left;
        if (tx < 0 || tx >= cols) continue;
        d[ty * cols + tx] = s[y * c0 + x] * m.scale + m.shift;
      }
    }
  }
}

}  // namespace

void normalizeIntensities(float* x, int64_t n, const TransformConfig& t) {
  const PixelMap m = pixelMap(t);
  for (int64_t i = 0; i < n; ++i) x[i] = x[i] * m.scale + m.shift;
}

const BatchTensor* Batch::find(const std::string& name) const {
  for (const BatchTensor& t : fields)
    if (t.name == name) return &t;
  return nullptr;
}

Batcher::Batcher(std::shared_ptr<const DataSource> source, TransformConfig transform,
                 int64_t batchSize, uint64_t seed, bool dropLast)
    : source_(std::move(source)),
      transform_(std::move(transform)),
      batch_(batchSize),
      seed_(seed),
      dropLast_(dropLast) {
  if (batch_ < 1)
    throw UsageError({}, "", "",
                     "batch size must be at least 1, found " + std::to_string(batch_));
  if (dropLast_ && source_->size() < batch_)
    throw UsageError({}, "", "",
                     "batch size " + std::to_string(batch_) + " is larger than the " +
                         std::to_string(source_->size()) + " samples of " +
                         source_->describe() + " (drop_last keeps full batches only)");
  fields_ = source_->fields();
  for (FieldSpec& f : fields_) {
    if (!f.image) continue;
    if (f.dtype != DType::F32 || f.dims.size() != 3)
      throw UsageError({}, "", "",
                       source_->describe() + ": image field '" + f.name +
                           "' must be f32 [C,H,W], found " + dimsStr(f.dims));
    f.dims[1] = std::max(f.dims[1], transform_.padTo);
    f.dims[2] = std::max(f.dims[2], transform_.padTo);
  }
}

Batcher::~Batcher() { stop(); }

int64_t Batcher::batchesPerEpoch() const {
  const int64_t n = source_->size();
  return dropLast_ ? n / batch_ : (n + batch_ - 1) / batch_;
}

int64_t Batcher::batchSize(int64_t index) const {
  return std::min(batch_, source_->size() - index * batch_);
}

std::vector<int64_t> Batcher::order(int64_t epoch) const {
  std::vector<int64_t> idx(size_t(source_->size()));
  std::iota(idx.begin(), idx.end(), 0);
  if (!transform_.shuffle) return idx;
  Rng rng(mix(seed_, uint64_t(epoch) + 1));
  for (int64_t i = int64_t(idx.size()) - 1; i > 0; --i)
    std::swap(idx[size_t(i)], idx[size_t(rng.next() % uint64_t(i + 1))]);
  return idx;
}

void Batcher::fill(int64_t epoch, int64_t index, Batch* out) const {
  fill(epoch, index, out, 0, batchSize(index));
}

void Batcher::fill(int64_t epoch, int64_t index, Batch* out, int64_t offset,
                   int64_t count) const {
  const std::vector<FieldSpec>& in = source_->fields();
  const size_t nf = in.size();
  out->epoch = epoch;
  out->index = index;
  out->size = count;
  out->fields.resize(nf);
  std::vector<std::vector<float>> raw(nf);  // images before their transform
  for (size_t f = 0; f < nf; ++f) {
    BatchTensor& t = out->fields[f];
    t.name = fields_[f].name;
    t.dtype = fields_[f].dtype;
    t.dims = fields_[f].dims;
    const size_t n = size_t(count * numel(t.dims));
    if (t.dtype == DType::F32) {
      t.f32.resize(n);
      t.i32.clear();
    } else {
      t.i32.resize(n);
      t.f32.clear();
    }
    if (in[f].image) raw[f].resize(size_t(numel(in[f].dims)));
  }
  // Order of the whole epoch; cheap next to the pixel work of one batch.
  std::vector<int64_t> perm = order(epoch);
  const PixelMap m = pixelMap(transform_);
  std::vector<void*> dst(nf);
  for (int64_t k = 0; k < count; ++k) {
    const int64_t sample = perm[size_t(index * batch_ + offset + k)];
    for (size_t f = 0; f < nf; ++f) {
      BatchTensor& t = out->fields[f];
      const size_t at = size_t(k * numel(t.dims));
      dst[f] = in[f].image ? static_cast<void*>(raw[f].data())
               : t.dtype == DType::F32 ? static_cast<void*>(t.f32.data() + at)
                                       : static_cast<void*>(t.i32.data() + at);
    }
    source_->read(sample, dst.data());
    int64_t dy = 0, dx = 0;
    if (transform_.randomShift > 0) {
      Rng rng(mix(mix(seed_, uint64_t(epoch) + 7), uint64_t(sample)));
      int64_t span = 2 * transform_.randomShift + 1;
      dy = int64_t(rng.next() % uint64_t(span)) - transform_.randomShift;
      dx = int64_t(rng.next() % uint64_t(span)) - transform_.randomShift;
    }
    for (size_t f = 0; f < nf; ++f) {
      if (!in[f].image) continue;
      BatchTensor& t = out->fields[f];
      placeImage(raw[f].data(), in[f].dims, t.dims[1], t.dims[2], dy, dx, m,
                 t.f32.data() + size_t(k * numel(t.dims)));
    }
  }
}

void Batcher::start(int64_t epoch, int64_t firstBatch) {
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
      const int64_t n = batchSize(b) / sliceParts_;
      fill(epoch, b, &batch, n * slicePart_, n);
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_ || ready_.size() < kDepth; });
      if (stop_) return;
      ready_.push_back(std::move(batch));
      cv_.notify_all();
    }
  });
}

bool Batcher::next(Batch* out) {
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

void Batcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

}  // namespace tapeflow
