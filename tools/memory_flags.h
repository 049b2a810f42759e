// tools/memory_flags.h - the memory check of train, eval and profile: the
// estimate of core/memory_budget.h for the command's plan, against
// --mem-limit or what the machine has, before anything is allocated or
// written; and the estimate lines of check and summary.
#pragma once

#include <string>

#include "core/memory_budget.h"
#include "core/program.h"
#include "tools/cli.h"
#include "train/solver.h"

namespace tapeflow::cli {

/// Buffers per trainable parameter of the solver's optimizer: SGD 0 (1
/// with momentum), Adam and AdamW 2.
int optimizerStateCopies(const SolverConfig& s);

/// Refuses (IoError, exit 3) a run of `program` at s.batchSize, training
/// or not, that would not fit under --mem-limit or the available memory.
void checkMemoryFlag(const Args& a, const Program& program, const SolverConfig& s,
                     bool training, const std::string& modelFile);

/// Two lines for check and summary: the estimate of inference and of
/// training with SGD with momentum and with Adam at `batch`, and the
/// memory available.
std::string memoryEstimateLines(const Program& program, int64_t batch);

}  // namespace tapeflow::cli
