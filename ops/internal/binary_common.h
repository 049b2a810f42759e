// ops/internal/binary_common.h - the shared body of the elementwise binary
// ops (Add, Sub, Mul, Div, Min, Max): inputs a, b with numpy broadcasting, output c,
// one oneDNN binary primitive forward; gradients in output geometry, summed
// down to a broadcast input's dims by the engine.
#pragma once

#include "ops/op_kit.h"

namespace tapeflow::ops {

enum class BinaryKind { Add, Sub, Mul, Div, Min, Max };

struct BinarySpec {
  BinaryKind kind = BinaryKind::Add;
  /// Inputs of the sample cases are drawn from [low, high) (Div keeps its
  /// divisor away from 0).
  float sampleLow = -1.f;
  float sampleHigh = 1.f;
};

/// Builds the OpDef of a binary op with ports a, b -> c.
OpDef makeBinaryOp(std::string name, BinarySpec spec, std::string doc);

}  // namespace tapeflow::ops
