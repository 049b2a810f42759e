// train/checkpoint.h - checkpoint files (.tfck) that never lose
// work: atomic, fsync'd writes, CRC-checked and versioned reads, strict
// compatibility checks, and a run directory with a lock, a "latest" pointer,
// a best checkpoint and pruning of old ones.
//
// File layout (all integers little-endian):
//   offset  size  field
//        0     8  magic "TFLWCKPT"
//        8     4  format version (kCheckpointFormatVersion)
//       12     4  reserved, 0
//       16     8  total file size in bytes
//       24     8  payload length P
//       32     4  CRC-32 of the payload
//       36     4  CRC-32 of bytes 0..35 (the header)
//       40     P  payload: a serialized tapeflow.proto.CheckpointDef
//                 (train/checkpoint.proto), metadata only
//   40 + P  rest  data region: every tensor's float32 values, in table order,
//                 each covered by its own CRC-32 stored in the payload
// The payload CRC covers only the metadata, so a flipped byte inside tensor
// data is reported by the tensor's own CRC, with the tensor's name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/shape.h"

namespace tapeflow {

/// The newest file format this build reads and the one it writes.
inline constexpr int32_t kCheckpointFormatVersion = 1;
/// Size of the fixed file header.
inline constexpr size_t kCheckpointHeaderBytes = 40;

/// One named float32 tensor; data.size() equals the product of dims.
struct CheckpointTensor {
  std::string name;
  Dims dims;
  std::vector<float> data;
};

/// Everything a run needs to resume exactly.
struct CheckpointData {
  /// Set by readCheckpoint from the file header; writeCheckpoint always
  /// writes kCheckpointFormatVersion.
  int32_t formatVersion = kCheckpointFormatVersion;
  std::string modelName;
  uint64_t modelFingerprint = 0;  ///< hash of the graph structure
  uint64_t dataFingerprint = 0;   ///< from the IDX reader
  int64_t step = 0;
  int64_t epoch = 0;
  int64_t positionInEpoch = 0;  ///< batches done in the current epoch
  uint64_t seed = 0;
  int32_t threads = 0;
  int32_t ranks = 1;  ///< data-parallel ranks of the run (the data cursor is global)
  double bestMetric = 0;
  int64_t bestStep = -1;
  std::string solverText;  ///< effective solver config as text
  /// The model's graph as text without param values (graph.proto text
  /// form); empty when not stored (files written before it was).
  std::string graphText;
  /// Every param (trainable and constant); names unique.
  std::vector<CheckpointTensor> params;
  /// Optimizer slots, e.g. "conv1.w/momentum"; names unique.
  std::vector<CheckpointTensor> optimizerState;
  int64_t optimizerSteps = 0;
};

/// Writes `data` to `path` atomically (core/atomic_file.h): creates
/// <path>.tmp-<pid>, writes it completely, fsyncs it, renames it over
/// `path` and fsyncs the directory.
/// On any OS failure (ENOSPC, EFBIG, EACCES, ...) the temporary file is
/// removed, the previous file at `path` is untouched, and IoError names the
/// path and the system error. Throws UsageError (nothing written) for a
/// tensor with an empty or duplicate name, invalid dims or dims that do not
/// match its data size, and NumericError for NaN/Inf values, so that a file
/// readCheckpoint would reject is never written.
void writeCheckpoint(const std::string& path, const CheckpointData& data);

/// Reads and verifies a checkpoint: header (magic, header CRC, version, file
/// size), payload CRC, the tensor table (names, dims, extents inside the
/// data region, checked before anything is allocated), each tensor's CRC and
/// finite values. Throws DataError naming the file and what was expected vs
/// found: a truncated file (expected vs actual size), a file that is not a
/// checkpoint, a newer format version (in a header whose CRC matches), a
/// corrupt header or payload, a tensor CRC mismatch (tensor name, stored and
/// computed CRC), bad dims or extents, or NaN/Inf values (tensor name and
/// count). OS failures, a missing file included, are IoError.
CheckpointData readCheckpoint(const std::string& path);

/// Checks that checkpoint `ckpt` (read from `path`) fits a model with params
/// `modelParams` (name, dims) and structure hash `modelFingerprint`: the same
/// param names (the message lists missing and unexpected names), the same
/// dims per name ("size mismatch for conv1.w: checkpoint [6,1,5,5], model
/// [16,1,5,5]") and the same fingerprint. Throws one DataError listing every
/// mismatch; modifies nothing.
void checkCompatible(
    const CheckpointData& ckpt, const std::string& path,
    const std::vector<std::pair<std::string, Dims>>& modelParams,
    uint64_t modelFingerprint);

/// A run's checkpoint directory: "ckpt-<step>.tfck" files, a "latest" file
/// holding the name of the newest one, "best.tfck", and a "lock" file. Each
/// file is written atomically as by writeCheckpoint.
class CheckpointDir {
 public:
  /// Creates `dir` (and its parents) if needed and takes an exclusive lock
  /// (flock on "<dir>/lock", which holds our pid) for the object's lifetime.
  /// Removes temporary files left by an interrupted save. Keeps the newest
  /// `keep` step checkpoints (0 keeps all; UsageError if negative). Throws
  /// IoError at once if the directory cannot be created, is not a directory
  /// or is not writable, and IoError naming the holder's pid if another
  /// process (or object) holds the lock.
  CheckpointDir(const std::string& dir, int keep);
  ~CheckpointDir();
  CheckpointDir(const CheckpointDir&) = delete;
  CheckpointDir& operator=(const CheckpointDir&) = delete;
  CheckpointDir(CheckpointDir&& other) noexcept;
  CheckpointDir& operator=(CheckpointDir&& other) noexcept;

  /// Writes ckpt-<data.step>.tfck, points "latest" at it, writes best.tfck
  /// too when `isBest`, then deletes the oldest step checkpoints beyond
  /// `keep` (never the one just written, never best.tfck; a failed deletion
  /// is a warning on stderr). Returns the path of the step checkpoint.
  /// Throws as writeCheckpoint, and UsageError for a negative step.
  std::string save(const CheckpointData& data, bool isBest);

  /// Path of the newest valid checkpoint: the one "latest" names if it reads
  /// cleanly; otherwise (pointer missing, malformed, or naming a missing or
  /// corrupt file) prints one warning line to stderr and returns the newest
  /// ckpt-*.tfck that reads cleanly. Throws DataError if there is none,
  /// listing each candidate and why it was rejected.
  std::string latest() const;

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  int keep_ = 0;
  int lockFd_ = -1;
};

/// zlib CRC-32 of n bytes.
uint32_t crc32Of(const void* data, size_t n);

/// 64-bit FNV-1a of n bytes, continuing from `seed` (default: the standard
/// offset basis 0xcbf29ce484222325, as the IDX reader's data fingerprint).
/// Chain calls by passing the previous result as the seed.
uint64_t fnv1a64(const void* data, size_t n,
                 uint64_t seed = 0xcbf29ce484222325ull);

}  // namespace tapeflow
