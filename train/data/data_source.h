// train/data/data_source.h - where training data comes from: a source of
// samples with named fields (an image, a label, any tensor a graph input
// needs), each with a dtype and per-sample dims.
//
// Implementations: IdxDirSource (an MNIST-style directory of IDX files) and
// InMemorySource (tensors given by the caller: tests and the C++ API). The
// Batcher (batcher.h) turns a source into batches.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/shape.h"
#include "train/data/idx_reader.h"

namespace tapeflow {

/// One field of every sample.
struct FieldSpec {
  std::string name;
  DType dtype = DType::F32;
  Dims dims;  ///< per sample, e.g. [1,28,28] for an image, [] for a label
  /// An image [C,H,W] of raw intensities (0..255): the image transforms
  /// (padding, normalisation, random shifts) apply to it.
  bool image = false;
};

/// A source of samples; read() may be called from several threads at once.
class DataSource {
 public:
  virtual ~DataSource() = default;
  /// The fields of every sample (names unique).
  virtual const std::vector<FieldSpec>& fields() const = 0;
  /// Number of samples.
  virtual int64_t size() const = 0;
  /// Writes the fields of sample `index` (0 <= index < size()) to dst[f],
  /// one pointer per field in fields() order, numel(dims) elements of the
  /// field's dtype (float or int32_t) each.
  virtual void read(int64_t index, void* const* dst) const = 0;
  /// A hash of the content: the same data gives the same value (a
  /// checkpoint stores it to detect changed data).
  virtual uint64_t fingerprint() const = 0;
  /// Names the source in messages, e.g. "data/mnist (train split)".
  virtual std::string describe() const = 0;

  /// Index of a field in fields(), -1 when there is none.
  int findField(const std::string& name) const;
  /// "image [1,28,28] f32, label [] i32".
  std::string describeFields() const;
};

/// The split of an MNIST-style directory (see data::loadMnistDir): fields
/// "image" (f32 [1,H,W], the bytes as raw intensities) and "label" (i32 []).
class IdxDirSource : public DataSource {
 public:
  /// Reads the split now; throws as data::loadMnistDir.
  IdxDirSource(const std::string& dir, const std::string& split, int numClasses = 10);
  const std::vector<FieldSpec>& fields() const override { return fields_; }
  int64_t size() const override { return data_.images.count; }
  void read(int64_t index, void* const* dst) const override;
  uint64_t fingerprint() const override { return data_.fingerprint; }
  std::string describe() const override;
  const data::Dataset& dataset() const { return data_; }

 private:
  data::Dataset data_;
  std::string dir_, split_;
  std::vector<FieldSpec> fields_;
};

/// One field of an InMemorySource: every sample's values, sample after
/// sample (f32 for DType::F32, i32 for DType::I32).
struct InMemoryTensor {
  FieldSpec spec;
  std::vector<float> f32;
  std::vector<int32_t> i32;
};

/// Samples held in memory.
class InMemorySource : public DataSource {
 public:
  /// Throws UsageError for no tensors, duplicate or empty names, a tensor
  /// whose data is not a whole number of samples, or tensors with different
  /// sample counts. `name` is used in messages.
  explicit InMemorySource(std::vector<InMemoryTensor> tensors,
                          std::string name = "in-memory data");
  const std::vector<FieldSpec>& fields() const override { return fields_; }
  int64_t size() const override { return size_; }
  void read(int64_t index, void* const* dst) const override;
  uint64_t fingerprint() const override { return fingerprint_; }
  std::string describe() const override { return name_; }

 private:
  std::vector<InMemoryTensor> tensors_;
  std::vector<FieldSpec> fields_;
  std::string name_;
  int64_t size_ = 0;
  uint64_t fingerprint_ = 0;
};

}  // namespace tapeflow
