// tests/support/op_harness.h - runs one op on host data, and checks its
// gradients against central finite differences.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/graph.h"
#include "core/op_def.h"

namespace tapeflow::testing {

/// A plain row-major host tensor (I32 values are stored as floats).
struct HostTensor {
  Dims dims;
  std::vector<float> data;
  DType dtype = DType::F32;
};

/// Deterministic fill in [low, high); `distinct` spaces values apart so no
/// two are within (high-low)/(2n) of each other (max pooling ties).
HostTensor randomTensor(const Dims& dims, uint64_t seed, float low = -1.f,
                        float high = 1.f, bool distinct = false);
/// Integers in [0, range) stored as floats, dtype I32.
HostTensor randomLabels(const Dims& dims, uint64_t seed, int range);

/// Builds a one-node graph for `op` with the given inputs; F32 inputs become
/// trainable params named in0, in1, ...; I32 inputs become graph inputs.
Graph oneOpGraph(const std::string& op,
                 const std::map<std::string, AttrValue>& attrs,
                 const std::vector<HostTensor>& inputs, int numOutputs);

/// Runs the op forward (inference mode unless `training`) and returns every
/// output as plain host data.
std::vector<HostTensor> runOp(const std::string& op,
                              const std::map<std::string, AttrValue>& attrs,
                              const std::vector<HostTensor>& inputs,
                              bool training = false);

/// Inputs for a sample case (seeded).
std::vector<HostTensor> sampleInputs(const SampleCase& c, uint64_t seed);

struct GradCheckResult {
  bool ok = true;
  double worst = 0;     ///< worst relative error seen
  int checked = 0;      ///< elements compared
  std::string report;   ///< first failure, with every value involved
};

/// Compares backward against central differences of sum_i r_i * y_i with a
/// fixed-seed random r, for every F32 input (every element up to 1000, a
/// seeded sample above). Points within kinkRange of kink are skipped.
GradCheckResult gradCheck(const std::string& op,
                          const std::map<std::string, AttrValue>& attrs,
                          const std::vector<HostTensor>& inputs,
                          const SampleCase& opts, uint64_t seed = 1234);

}  // namespace tapeflow::testing
