// core/param_store.h - parameter and constant values, their gradients, and
// their initialisation. Shared by every plan of a model; plain row-major.
#pragma once

#include <cstdint>
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

 private:
  /// Zeroed memory for a param's values or gradients; IoError (exit 3)
  /// naming the param and the bytes when it cannot be allocated.
  dnnl::memory allocate(const dnnl::memory::desc& md, const ParamDef& def, const char* what);

  std::shared_ptr<const Program> program_;
  int64_t bytesAllocated_ = 0;
  std::vector<dnnl::memory> values_;
  std::vector<dnnl::memory> grads_;
  std::vector<int> valueIndex_;
};

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
