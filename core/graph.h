// core/graph.h - the graph IR: what a .pbtxt file (or the C++ builder)
// declares, with a source location on everything a message may point at.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/shape.h"

namespace tapeflow {

/// Kinds of attribute values (generic: ops declare theirs in their OpDef).
enum class AttrKind { Int, Float, String, Ints, Floats };
const char* attrKindName(AttrKind k);

/// One attribute value as written in the file.
struct AttrValue {
  AttrKind kind = AttrKind::Int;
  int64_t i = 0;
  float f = 0.f;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<float> floats;
  SourceLoc loc;

  static AttrValue ofInt(int64_t v);
  static AttrValue ofFloat(float v);
  static AttrValue ofString(std::string v);
  static AttrValue ofInts(std::vector<int64_t> v);
  static AttrValue ofFloats(std::vector<float> v);
  /// The value as written, e.g. `5`, `0.5`, `"same"`, `[1,2]`.
  std::string str() const;
};

/// How a parameter is filled before training.
struct Initializer {
  /// A name (or alias) from the table in core/initializers.h, e.g.
  /// "xavier_uniform"; Program::build rejects others.
  std::string kind = "zeros";
  float value = 0.f;   ///< constant
  float low = 0.f;     ///< uniform
  float high = 0.f;    ///< uniform
  float mean = 0.f;    ///< normal
  float stddev = 0.f;  ///< normal
  int64_t fanIn = 0;   ///< overrides the fan-in derived from the shape
  std::optional<float> a;     ///< kaiming: slope; truncated_normal: low bound
  std::optional<float> b;     ///< truncated_normal: high bound
  std::optional<float> gain;  ///< xavier, orthogonal
  std::string mode;           ///< kaiming: "fan_in" (default) or "fan_out"
  std::string nonlinearity;   ///< kaiming: default "leaky_relu"
  std::string weight;         ///< the param whose shape gives the fans
  SourceLoc loc;
};

/// A graph input, fed by the user for each batch. dims[0] may be -1 (batch).
struct InputDef {
  std::string name;
  DType dtype = DType::F32;
  Dims dims;
  SourceLoc loc;
};

/// A parameter (trainable) or constant (not trainable): a value like any
/// other, filled by its initializer or its inline data.
struct ParamDef {
  std::string name;
  DType dtype = DType::F32;
  Dims dims;
  bool trainable = true;
  Initializer init;
  std::vector<float> data;  ///< inline values; empty means "use init"
  SourceLoc loc;
};

/// One operation. Inputs and outputs are value names (SSA: each value is
/// produced exactly once).
struct Node {
  std::string name;
  std::string op;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::map<std::string, AttrValue> attrs;
  SourceLoc loc;
  std::vector<SourceLoc> inputLocs;   ///< one per input, when known
  std::vector<SourceLoc> outputLocs;  ///< one per output, when known
};

/// One of several training losses: a scalar value and its weight.
struct LossTerm {
  std::string name;
  float weight = 1.f;
  SourceLoc loc;
};

/// A whole model as declared.
struct Graph {
  int formatVersion = 1;
  std::string name;
  std::string file;  ///< where it was loaded from ("" when built in code)
  std::vector<InputDef> inputs;
  std::vector<ParamDef> params;
  std::vector<Node> nodes;
  std::vector<std::string> outputs;  ///< requested outputs (metrics too)
  std::vector<SourceLoc> outputLocs;
  std::string loss;        ///< the scalar training loss ("" for inference)
  SourceLoc lossLoc;
  /// Every loss with its weight when the graph declares several (or a
  /// weight): `loss` is the first. The objective is sum weight * loss, a
  /// WeightedSum node Program::build adds. Empty: the objective is `loss`.
  std::vector<LossTerm> losses;
  std::string prediction;  ///< the value `predict` turns into probabilities
  SourceLoc predictionLoc;
  SourceLoc loc;           ///< the file itself (line 0)
};

/// The newest graph format this runtime reads.
inline constexpr int kGraphFormatVersion = 1;

}  // namespace tapeflow
