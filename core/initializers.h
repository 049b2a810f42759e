// core/initializers.h - the one table of parameter initializers: validation
// (core/program.cpp), initialisation (core/param_store.cpp) and the listing
// of `tapeflow ops` all read it.
#pragma once

#include <string>
#include <vector>

namespace tapeflow {

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
};

struct InitializerInfo {
  const char* name;   ///< as written in `init { kind: ... }`
  const char* alias;  ///< another accepted spelling, or nullptr
  InitKind kind;
  const char* doc;  ///< the distribution, for listings
};

/// Every initializer, in the order listings show them.
const std::vector<InitializerInfo>& initializers();

/// The initializer called `name` (its name or its alias), or nullptr.
const InitializerInfo* findInitializer(const std::string& name);

/// The names (not the aliases), comma-separated: "zeros, ones, ...".
std::string initializerNames();

}  // namespace tapeflow
