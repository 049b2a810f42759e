// core/initializers.h - the one table of parameter initializers: validation
// (core/program.cpp), initialisation (core/param_store.cpp) and the listing
// of `tapeflow ops` all read it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/graph.h"

namespace tapeflow {

class Rng;

enum class InitKind {
  Zeros,
  Ones,
  Constant,
  Uniform,
  Normal,
  XavierUniform,
  XavierNormal,
  HeUniform,
  HeNormal,
  LecunUniform,
  Orthogonal,
  TruncatedNormal,
};

struct InitializerInfo {
  const char* name;   ///< as written in `init { kind: ... }`
  const char* alias;  ///< another accepted spelling, or nullptr
  InitKind kind;
  const char* doc;    ///< the distribution, for listings
  /// The optional fields added in fields 8-13 of InitDef that this kind
  /// reads ("a nonlinearity mode weight"); any other of them is an error.
  const char* params;
};

/// Every initializer, in the order listings show them.
const std::vector<InitializerInfo>& initializers();

/// The initializer called `name` (its name or its alias), or nullptr.
const InitializerInfo* findInitializer(const std::string& name);

/// The names (not the aliases), comma-separated: "zeros, ones, ...".
std::string initializerNames();

/// Checks `p.init` against the table (kind, field names and values, the
/// named weight among `params`); throws ParseError at the init's location
/// with a did-you-mean for misspelt modes, nonlinearities and weights.
void validateInitializer(const ParamDef& p, const std::vector<ParamDef>& params);

/// gain^2 of torch.nn.init.calculate_gain(nonlinearity, a); leaky_relu
/// with a = 0 gives exactly 2 (so kaiming defaults equal he_* bit for bit).
float gainSquared(const std::string& nonlinearity, float a);

/// Fills x[rows x cols] (row-major) with a (semi-)orthogonal matrix times
/// gain: the Q of a Householder QR of a Gaussian matrix, column signs fixed
/// by diag(R), as torch.nn.init.orthogonal_.
void fillOrthogonal(float* x, int64_t rows, int64_t cols, float gain, Rng& rng);

/// Fills x[n] from N(mean, stddev^2) truncated to [a, b] (inverse CDF, as
/// torch.nn.init.trunc_normal_).
void fillTruncatedNormal(float* x, int64_t n, float mean, float stddev, float a,
                         float b, Rng& rng);

}  // namespace tapeflow
