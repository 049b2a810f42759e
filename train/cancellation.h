// train/cancellation.h - a stop request passed into train(): whoever owns
// the token (the command line's signal handler, a test, a GUI) requests a
// stop; the trainer finishes the current step, writes a checkpoint and
// returns with TrainResult::interrupted set.
#pragma once

#include <atomic>

namespace tapeflow {

class CancellationToken {
 public:
  /// Async-signal-safe (a lock-free atomic store).
  void request() { requested_.store(true); }
  bool requested() const { return requested_.load(); }
  void reset() { requested_.store(false); }

 private:
  std::atomic<bool> requested_{false};
  static_assert(std::atomic<bool>::is_always_lock_free);
};

}  // namespace tapeflow
