// train/data/batcher.h - turns a DataSource into batches of named tensors:
// the image transforms (padding, normalisation, random shifts), per-epoch
// shuffling, prepared on a background thread so the training step does not
// wait for data.
//
// Every batch is a pure function of (seed, epoch, batch index), so a run
// resumed at any batch sees exactly the data it would have seen. fill()
// takes a contiguous slice of a batch (offset, count), so that each of N
// data-parallel workers can prepare its own part of every global batch.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "train/data/data_source.h"

namespace tapeflow {

/// The transforms of image fields (FieldSpec::image) and the sample order.
struct TransformConfig {
  int64_t padTo = 0;          ///< zero-pad images to padTo x padTo (0: off)
  std::string normalize = "unit";  ///< unit: x/255; standard: (x/255-mean)/std
  float mean = 0.f;
  float stddev = 1.f;
  int64_t randomShift = 0;    ///< shift by up to this many pixels (0: off)
  bool shuffle = false;
};

/// Maps raw intensities (0..255) in place as the batcher's normalisation
/// does: x * scale + shift (unit: 1/255 and 0; standard: the same followed
/// by (. - mean) / stddev).
void normalizeIntensities(float* x, int64_t n, const TransformConfig& t);

/// One field of a batch: [size, dims...] values of its dtype.
struct BatchTensor {
  std::string name;
  DType dtype = DType::F32;
  Dims dims;  ///< per sample, after the transforms
  std::vector<float> f32;
  std::vector<int32_t> i32;
  const void* data() const {
    return dtype == DType::F32 ? static_cast<const void*>(f32.data())
                               : static_cast<const void*>(i32.data());
  }
  size_t bytes() const {
    return dtype == DType::F32 ? f32.size() * sizeof(float) : i32.size() * sizeof(int32_t);
  }
};

/// One prepared batch (or a slice of one).
struct Batch {
  int64_t epoch = 0;
  int64_t index = 0;   ///< batch index within the epoch
  int64_t size = 0;    ///< samples in this batch (or slice)
  std::vector<BatchTensor> fields;  ///< in the source's field order
  /// The field named `name`, nullptr when there is none.
  const BatchTensor* find(const std::string& name) const;
};

class Batcher {
 public:
  /// Batches of `batchSize` samples of `source` (which must outlive the
  /// batcher and be safe to read from another thread). With dropLast, an
  /// epoch is the full batches only; otherwise the last batch may be short.
  /// Throws UsageError for a batch size below 1 and, with dropLast, for a
  /// source with fewer samples than one batch.
  Batcher(std::shared_ptr<const DataSource> source, TransformConfig transform,
          int64_t batchSize, uint64_t seed, bool dropLast);
  ~Batcher();
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  int64_t batchesPerEpoch() const;
  /// Samples in batch `index` of an epoch.
  int64_t batchSize(int64_t index) const;
  int64_t numSamples() const { return source_->size(); }
  const DataSource& source() const { return *source_; }
  /// The fields of a batch: the source's, image dims after padding.
  const std::vector<FieldSpec>& fields() const { return fields_; }

  /// Fills batch `index` of `epoch` synchronously (deterministic).
  void fill(int64_t epoch, int64_t index, Batch* out) const;
  /// Fills samples [offset, offset + count) of that batch only; out->size
  /// is count. The samples, shifts and values are those of the whole batch.
  void fill(int64_t epoch, int64_t index, Batch* out, int64_t offset, int64_t count) const;

  /// Makes start()/next() prepare only part `part` of `parts` equal
  /// contiguous parts of every batch (a data-parallel rank's slice; the
  /// caller checks that the batch sizes divide). parts 1: whole batches.
  void setSlice(int part, int parts) {
    slicePart_ = part;
    sliceParts_ = parts;
  }

  /// Starts preparing batches firstBatch.. of `epoch` in the background.
  void start(int64_t epoch, int64_t firstBatch);
  /// The next batch of the started epoch (blocks until it is ready); false
  /// at the end of the epoch.
  bool next(Batch* out);
  /// Stops the background thread (also done by start() and the destructor).
  void stop();

 private:
  std::vector<int64_t> order(int64_t epoch) const;

  std::shared_ptr<const DataSource> source_;
  TransformConfig transform_;
  int64_t batch_;
  uint64_t seed_;
  bool dropLast_;
  std::vector<FieldSpec> fields_;
  int slicePart_ = 0, sliceParts_ = 1;

  std::thread worker_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Batch> ready_;
  bool stop_ = false;
  int64_t epoch_ = 0;
  int64_t nextIndex_ = 0;   ///< next batch the consumer will take
  static constexpr size_t kDepth = 3;
};

}  // namespace tapeflow
