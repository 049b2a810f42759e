// train/solver.h - the training configuration: a Caffe-like solver
// file (protobuf text, schema train/solver.proto) plus
// command-line overrides, checked against one table of fields.
//
// Example (models/lenet5_keras.solver.pbtxt):
//   optimizer: "sgd"  lr: 0.01  momentum: 0.9
//   batch_size: 64  epochs: 10  data: "data/mnist"  pad_to: 32
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tapeflow {

/// Largest solver file read; anything bigger is not a solver file.
inline constexpr uint64_t kMaxSolverFileBytes = uint64_t{1} << 20;

struct SolverConfig {
  // Optimizer.
  std::string optimizer = "sgd";  ///< sgd | adam | adamw
  float lr = 0.01f;
  float momentum = 0.9f;  ///< sgd only; 0 = plain SGD
  bool nesterov = false;
  float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f;
  /// L2 added to the gradient for sgd/adam; decoupled for adamw.
  float weightDecay = 0.f;
  float clipNorm = 0.f;  ///< clip gradients by global L2 norm; 0 = off

  // Schedule, evaluated every step at epoch = step / stepsPerEpoch.
  /// constant | step | multistep | exponential | cosine
  std::string schedule = "constant";
  float gamma = 0.1f;             ///< step/multistep/exponential factor
  float stepEpochs = 1.f;         ///< step: multiply by gamma this often
  std::vector<float> milestones;  ///< multistep: epochs, increasing
  float minLr = 0.f;              ///< cosine floor
  float warmupEpochs = 0.f;       ///< linear warm-up from 0 to lr, any schedule

  // Run.
  int64_t batchSize = 64;
  int64_t epochs = 10;
  uint64_t seed = 1;
  int threads = 0;                   ///< 0 = all cores
  int64_t evalEverySteps = 0;        ///< 0 = once per epoch
  int64_t logEverySteps = 50;        ///< 0 = once per epoch
  int64_t checkpointEverySteps = 0;  ///< 0 = once per epoch
  int keepCheckpoints = 3;

  // Data.
  std::string data = "data/mnist";
  int64_t padTo = 32;  ///< 0 = no padding
  /// unit: x/255; standard: (x/255 - mean) / stddev.
  std::string normalize = "unit";
  float mean = 0.1307f, stddev = 0.3081f;
  int64_t randomShift = 0;  ///< max pixels, 0 = off
  bool shuffle = true;
  /// Training epochs are full batches only (a short last batch is skipped,
  /// a different one each epoch when shuffling); evaluation always covers
  /// every sample.
  bool dropLast = true;
  std::string inputName = "image", labelName = "label";
};

/// Reads a solver file (protobuf text). Throws IoError when the file cannot
/// be read and ParseError (file:line:col) for syntax errors, unknown fields,
/// unknown optimizer/schedule/normalize names (listing the allowed ones) and
/// values out of range (naming the field, the expected range and the value).
/// Fields not in the file keep SolverConfig's defaults.
SolverConfig loadSolverFile(const std::string& path);

/// Parses solver text; fileName is used in locations only.
SolverConfig parseSolverText(const std::string& text,
                             const std::string& fileName);

/// Applies one command-line override `--flag value` (flag without dashes,
/// e.g. "lr", "batch", "weight-decay"; "milestones" takes a comma list, ""
/// clears it; bool flags take true/false/1/0, and "" means true, as for a
/// bare `--nesterov`). Leading dashes on the flag are ignored. Throws
/// UsageError naming the flag for an unknown flag or a bad value (the range
/// checks are those of the file); c is unchanged then.
void applyOverride(SolverConfig& c, const std::string& flag,
                   const std::string& value);

/// Every flag with its default, allowed range and a one-line description,
/// one per line, grouped (optimizer, schedule, run, data).
std::string solverFlagsHelp();

/// One solver setting as a command-line flag, from the same table as the
/// file fields (a new field needs one table line, nothing else).
struct SolverFlag {
  std::string name;         ///< without dashes, e.g. "weight-decay"
  std::string section;      ///< optimizer, schedule, run or data
  std::string help;         ///< description, allowed values, file field
  std::string defaultText;  ///< SolverConfig's default as typed after the flag
  bool isBool = false;      ///< takes no value: --name, --no-name
};

/// Every solver flag in table order.
std::vector<SolverFlag> solverFlags();

/// The whole configuration as solver text, every field written;
/// parseSolverText(solverToText(c)) gives back c.
std::string solverToText(const SolverConfig& c);

}  // namespace tapeflow
