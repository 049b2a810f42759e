// tools/memory_flags.cpp - --mem-limit and the estimate lines.
#include "tools/memory_flags.h"

namespace tapeflow::cli {

int optimizerStateCopies(const SolverConfig& s) {
  if (s.optimizer == "adam" || s.optimizer == "adamw") return 2;
  return s.momentum != 0 ? 1 : 0;
}

void checkMemoryFlag(const Args& a, const Program& program, const SolverConfig& s,
                     bool training, const std::string& modelFile) {
  const MemoryEstimate e =
      estimateMemory(program, s.batchSize, training, optimizerStateCopies(s));
  checkMemoryBudget(e, memoryLimit(a.get("mem-limit")), training ? "training" : "evaluation",
                    modelFile);
}

std::string memoryEstimateLines(const Program& program, int64_t batch) {
  const MemoryEstimate inference = estimateMemory(program, batch, false, 0);
  const MemoryEstimate sgd = estimateMemory(program, batch, true, 1);
  const MemoryEstimate adam = estimateMemory(program, batch, true, 2);
  const MemoryLimit available = availableMemory();
  return "Estimated memory at batch " + std::to_string(batch) + ": inference " +
         formatBytes(inference.total()) + ", training " + formatBytes(sgd.total()) +
         " (SGD with momentum) or " + formatBytes(adam.total()) + " (Adam)\n  training: " +
         describeParts(adam) + "\n  available: " +
         (available.bytes < 0 ? std::string("unknown")
                              : formatBytes(available.bytes) + " (" + available.source + ")") +
         "\n";
}

}  // namespace tapeflow::cli
