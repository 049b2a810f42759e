// ops/internal/eltwise_common.h - the shared body of the elementwise
// activations (Relu, LeakyRelu, Elu, Sigmoid, Tanh, Gelu): one oneDNN
// eltwise primitive forward, one backward, any layout in, same layout out.
#pragma once

#include "ops/op_kit.h"

namespace tapeflow::ops {

struct EltwiseSpec {
  algorithm alg;             ///< forward algorithm
  bool useDst = false;       ///< alg is a *_use_dst_for_bwd variant
  const char* alphaAttr = nullptr;  ///< attribute holding alpha, if any
  float alphaDefault = 0.f;
  float beta = 0.f;
  /// Folds into a producer as a post-op (only when backward reads dst, so
  /// the fused output is all backward needs).
  bool fusable = false;
  float kink = 0.f;          ///< where the derivative jumps (tests)
  bool hasKink = false;
};

/// Builds the OpDef of an eltwise op with ports src -> dst.
OpDef makeEltwiseOp(std::string name, EltwiseSpec spec, std::string doc);

}  // namespace tapeflow::ops
