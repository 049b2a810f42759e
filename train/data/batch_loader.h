// train/data/batch_loader.h - turns an IDX dataset into batches:
// padding, scaling, per-epoch shuffling and random shifts, prepared on a
// background thread so the training step does not wait for data.
//
// Every batch is a pure function of (seed, epoch, batch index), so a run
// resumed at any batch sees exactly the data it would have seen.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "train/data/idx_reader.h"

namespace tapeflow {

struct TransformConfig {
  int64_t padTo = 0;          ///< zero-pad images to padTo x padTo (0: off)
  std::string normalize = "unit";  ///< unit: x/255; standard: (x/255-mean)/std
  float mean = 0.f;
  float stddev = 1.f;
  int64_t randomShift = 0;    ///< shift by up to this many pixels (0: off)
  bool shuffle = false;
};

/// One prepared batch.
struct Batch {
  int64_t epoch = 0;
  int64_t index = 0;   ///< batch index within the epoch
  int64_t size = 0;    ///< images in this batch (the last one may be short)
  std::vector<float> images;   ///< size x 1 x H x W
  std::vector<int32_t> labels; ///< size
};

class BatchLoader {
 public:
  BatchLoader(const data::Dataset& data, TransformConfig transform,
              int64_t batchSize, uint64_t seed);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  int64_t batchesPerEpoch() const;
  int64_t batchSize(int64_t index) const;
  int64_t imageRows() const { return rows_; }
  int64_t imageCols() const { return cols_; }
  int64_t numSamples() const { return data_.images.count; }

  /// Fills one batch synchronously (deterministic).
  void fill(int64_t epoch, int64_t index, Batch* out) const;

  /// Starts preparing batches firstBatch.. of `epoch` in the background.
  void start(int64_t epoch, int64_t firstBatch);
  /// The next batch of the started epoch (blocks until it is ready); false
  /// at the end of the epoch.
  bool next(Batch* out);
  /// Stops the background thread (also done by start() and the destructor).
  void stop();

 private:
  std::vector<int64_t> order(int64_t epoch) const;

  const data::Dataset& data_;
  TransformConfig transform_;
  int64_t batch_;
  uint64_t seed_;
  int64_t rows_, cols_;

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
