// train/data/idx_reader.h - strict reader for IDX files (MNIST format).
//
// An IDX file is a 4-byte big-endian magic 0x0000TTNN (TT = element type,
// NN = rank), NN big-endian uint32 dimensions, then the elements in row-major
// order. Only unsigned byte elements (TT = 0x08) are supported: rank 3 for
// images (0x00000803) and rank 1 for labels (0x00000801).
//
// Files may be gzipped; compression is detected by the gzip magic bytes
// 1f 8b, never by the file name. Every malformed file is rejected with a
// tapeflow::DataError whose location is the file; OS failures (missing file,
// permission denied, read error) are tapeflow::IoError. Sizes declared in the
// header are checked against the real (decompressed) size before any buffer
// of that size is allocated; decompressed data is capped at kMaxIdxBytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tapeflow::data {

/// Largest decoded size of one IDX file (2 GiB, header included).
inline constexpr uint64_t kMaxIdxBytes = uint64_t{1} << 31;

/// A stack of grey-scale images.
struct ImageSet {
  int64_t count = 0, rows = 0, cols = 0;
  std::vector<uint8_t> pixels;  ///< count*rows*cols bytes, row-major
};

/// One class label per record.
struct LabelSet {
  int64_t count = 0;
  std::vector<uint8_t> labels;  ///< count bytes, each < numClasses
};

/// Reads an idx3 unsigned-byte image file (plain or gzipped). Throws
/// DataError for a malformed file (wrong magic, swapped label file, element
/// type other than 0x08, wrong rank, truncated header or data, trailing
/// bytes, zero images or zero-sized images) and IoError when the file cannot
/// be opened or read.
ImageSet readIdxImages(const std::string& path);

/// Reads an idx1 unsigned-byte label file (plain or gzipped) and checks that
/// every label is below numClasses (1..256; otherwise UsageError). Throws
/// DataError naming the first bad record, and as readIdxImages otherwise.
LabelSet readIdxLabels(const std::string& path, int numClasses = 10);

/// A matched pair of image and label files.
struct Dataset {
  ImageSet images;
  LabelSet labels;
  std::string imagesPath, labelsPath;
  /// 64-bit FNV-1a hash of the decoded bytes (header included) of the image
  /// file followed by the label file. The same data gives the same value
  /// whether stored plain or gzipped; a checkpoint stores it to detect
  /// changed data.
  uint64_t fingerprint = 0;
};

/// Loads one split of an MNIST-style directory: for split "train" the files
/// dir/train-images-idx3-ubyte and dir/train-labels-idx1-ubyte, for "test"
/// dir/t10k-images-idx3-ubyte and dir/t10k-labels-idx1-ubyte, each with or
/// without a ".gz" suffix (the name without suffix wins when both exist).
/// Checks that the image and label counts match. Throws UsageError for
/// another split name, IoError for a missing directory or file, DataError as
/// the readers above and for a count mismatch.
Dataset loadMnistDir(const std::string& dir, const std::string& split,
                     int numClasses = 10);

/// Checks that the images are rows x cols (the model input), throwing a
/// DataError naming path and both sizes otherwise.
void checkImageSize(const ImageSet& images, const std::string& path,
                    int64_t rows, int64_t cols);

}  // namespace tapeflow::data
