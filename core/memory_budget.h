// core/memory_budget.h - the memory a plan will need, estimated from the
// shapes before anything is allocated, and the memory the machine has.
//
// The estimate sums 4 bytes per element of: the parameters; in training
// their gradients (trainable ones), the optimizer's state (0, 1 or 2 copies
// of the trainable ones: SGD, SGD with momentum, Adam) and the gradients
// of the node outputs; and the graph inputs and node outputs at the batch
// size. oneDNN's workspaces, reorder buffers and scratchpads come on top
// (small next to these for the ops we have). A run whose estimate exceeds
// the limit - the --mem-limit flag, else what the machine has available -
// is refused with one line (IoError, exit 3) naming the total, its parts,
// the largest values and what to change, e.g.
//   models/big.pbtxt:7:1: error: training at batch 64 needs an estimated
//   16.1 GiB (parameters 4.0 GiB, gradients 4.0 GiB, optimizer state 4.0
//   GiB, activations 4.1 GiB), more than the 7.6 GiB available
//   (MemAvailable); largest: param 'fc.w' 4.0 GiB, ...; make 'fc.w'
//   smaller or set --mem-limit
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"

namespace tapeflow {

class Program;

/// One value's share of an estimate.
struct MemoryItem {
  std::string name;
  bool isParam = false;  ///< else a graph input or node output (activation)
  int64_t bytes = 0;
  SourceLoc loc;
};

struct MemoryEstimate {
  int64_t batch = 1;
  bool training = false;
  int64_t params = 0;          ///< parameters and constants
  int64_t grads = 0;           ///< gradients of the trainable parameters
  int64_t optimizerState = 0;  ///< the optimizer's buffers
  int64_t activations = 0;     ///< graph inputs and node outputs
  int64_t activationGrads = 0; ///< gradients of the node outputs (training)
  /// The largest values (a param counts once, without its gradient and
  /// state), largest first; at most three.
  std::vector<MemoryItem> largest;
  /// The sum of the parts (saturates at INT64_MAX).
  int64_t total() const;
};

/// Estimates a plan of `program` at `batch` for training (with
/// `optimizerStateCopies` buffers per trainable parameter) or inference.
/// Sizes that overflow saturate at INT64_MAX.
MemoryEstimate estimateMemory(const Program& program, int64_t batch, bool training,
                              int optimizerStateCopies);

/// A memory limit and where it comes from.
struct MemoryLimit {
  int64_t bytes = -1;  ///< -1: unknown (no check)
  std::string source;  ///< "--mem-limit", "MemAvailable", "cgroup memory.max"
};

/// What the machine has: MemAvailable of /proc/meminfo, or, when smaller,
/// the room left under the cgroup's memory.max (v2) or limit_in_bytes (v1).
/// bytes -1 when neither can be read.
MemoryLimit availableMemory();

/// --mem-limit's value when `flagValue` is not empty ("512M", "2G", "1.5G",
/// "300000000"; K, M, G, T, P are powers of 1024, an optional "B" or "iB"
/// follows), else availableMemory(). Throws UsageError naming `flag` for
/// anything else, zero included.
MemoryLimit memoryLimit(const std::string& flagValue, const std::string& flag = "--mem-limit");

/// "4.0 GiB", "512.0 MiB", "96 B".
std::string formatBytes(int64_t bytes);

/// "parameters 4.0 GiB, gradients 4.0 GiB, optimizer state 8.0 GiB,
/// activations 12.0 MiB (+ 11.5 MiB of their gradients)": the non-zero parts.
std::string describeParts(const MemoryEstimate& e);

/// Throws IoError (exit 3) when e.total() exceeds `limit` (a limit of -1
/// bytes passes), as in the header comment. `what` starts the message
/// ("training", "evaluation").
void checkMemoryBudget(const MemoryEstimate& e, const MemoryLimit& limit,
                       const std::string& what, const std::string& modelFile);

}  // namespace tapeflow
