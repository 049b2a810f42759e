// core/param_store.h - parameter and constant values, their gradients, and
// their initialisation. Shared by every plan of a model; plain row-major.
//
// Trainable parameters live in one contiguous arena, their gradients in a
// second one with the same offsets: the optimizer updates every parameter
// in one pass, and a data-parallel allreduce is one call over gradArena().
// Each parameter starts on a 64-byte boundary; the gaps between them are
// zero in both arenas and stay zero under every update (their gradient is
// 0), so whole-arena loops need no per-parameter bounds.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "core/program.h"

namespace tapeflow {

class ParamStore {
 public:
  explicit ParamStore(std::shared_ptr<const Program> program);

  /// Fills every parameter from its initializer (or inline data), drawing
  /// random numbers from a generator seeded with `seed`.
  void initialize(uint64_t seed);
  int numParams() const { return static_cast<int>(values_.size()); }
  const ParamDef& def(int param) const;
  /// Value index of a param in the program.
  int valueIndex(int param) const { return valueIndex_.at(param); }
  dnnl::memory& value(int param) { return values_.at(param); }
  /// Gradient buffer (trainable params only; empty memory otherwise).
  dnnl::memory& grad(int param) { return grads_.at(param); }
  float* data(int param);
  float* gradData(int param);
  int64_t size(int param) const;

  /// The trainable parameters, contiguous: arenaSize() floats (gaps
  /// included). Param p occupies [arenaOffset(p), arenaOffset(p) + size(p)).
  float* paramArena() { return arena_.get(); }
  /// Their gradients, with the same offsets.
  float* gradArena() { return gradArena_.get(); }
  int64_t arenaSize() const { return arenaSize_; }
  /// Offset of a trainable param in both arenas; -1 for a constant.
  int64_t arenaOffset(int param) const { return offset_.at(param); }

 private:
  struct FreeAligned {
    void operator()(float* p) const { std::free(p); }
  };
  using Buffer = std::unique_ptr<float, FreeAligned>;
  /// A zeroed, 64-byte aligned arena of arenaSize() floats; IoError (exit
  /// 3) naming the largest trainable param and the bytes when it fails.
  Buffer allocateArena(const char* what);
  /// Zeroed memory for a param's values or gradients; IoError (exit 3)
  /// naming the param and the bytes when it cannot be allocated.
  dnnl::memory allocate(const dnnl::memory::desc& md, const ParamDef& def, const char* what);

  std::shared_ptr<const Program> program_;
  int64_t bytesAllocated_ = 0;
  std::vector<dnnl::memory> values_;
  std::vector<dnnl::memory> grads_;
  std::vector<int> valueIndex_;
  std::vector<int64_t> offset_;
  int64_t arenaSize_ = 0;
  Buffer arena_, gradArena_;
};

/// Floats per arena alignment unit (64 bytes).
inline constexpr int64_t kArenaAlign = 16;

/// Fan-in and fan-out of a weight of dims [out, in, k...] (1-D: fan-in =
/// fan-out = dims[0]).
std::pair<int64_t, int64_t> fans(const Dims& dims);

/// Deterministic random numbers (SplitMix64 + xoshiro-like), identical on
/// every platform, so runs and checkpoints reproduce exactly.
class Rng {
 public:
  explicit Rng(uint64_t seed = 0) : state_(seed) {}
  uint64_t next();
  /// Uniform in [0, 1).
  float uniform();
  /// Standard normal (Box-Muller).
  float normal();
  uint64_t state() const { return state_; }
  void setState(uint64_t s) { state_ = s; }

 private:
  uint64_t state_;
};

}  // namespace tapeflow
