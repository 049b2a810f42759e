// train/run_checkpoint.h - between a training run and its checkpoints:
// the model fingerprint, a snapshot of the run's state, and the one restore
// path (used by resume and by loadParams).
#pragma once

#include <cstdint>
#include <string>

#include "core/param_store.h"
#include "core/program.h"
#include "train/checkpoint.h"
#include "train/optimizer.h"

namespace tapeflow {

/// A hash of a program's structure (ops, wiring, param names and dims).
uint64_t modelFingerprint(const Program& program);

/// Where a run is: step, epoch, batches done in the epoch, best metric.
struct RunPosition {
  int64_t step = 0, epoch = 0, positionInEpoch = 0;
  double bestMetric = -1;
  int64_t bestStep = -1;
};

/// Checks that `ck` (read from `path`) belongs to this model (names, dims,
/// fingerprint) and copies its params into `store`; with an optimizer, also
/// its state and step count (DataError naming the missing or mis-sized
/// state). Returns the run position it holds. Modifies nothing on error.
RunPosition restoreCheckpoint(const CheckpointData& ck, const std::string& path,
                              const Program& program, ParamStore& store,
                              Optimizer* optimizer);

/// Reads a checkpoint and restores its params (restoreCheckpoint without an
/// optimizer).
void loadParams(const std::string& checkpointPath, const Program& program,
                ParamStore& store);

/// Copies the params of `ck` (read from `path`) into `store` by name, for a
/// new run started from another run's weights. Throws DataError listing
/// every param the checkpoint lacks or holds with other dims, unless
/// skipMismatched: then those keep their values and are returned, each as
/// "name: why". Checkpoint tensors the program lacks are ignored.
std::vector<std::string> initParamsFrom(const CheckpointData& ck, const std::string& path,
                                        ParamStore& store, bool skipMismatched);

/// The state of a run as a checkpoint: params, optimizer state, position.
CheckpointData snapshotCheckpoint(const Program& program, ParamStore& store,
                                  Optimizer& optimizer, const RunPosition& at);

}  // namespace tapeflow
