// ops/internal/eltwise_common.h - the shared body of the elementwise
// activations (Relu, LeakyRelu, Elu, Sigmoid, Tanh, Gelu): one oneDNN
// eltwise primitive forward, one backward, any layout in, same layout out.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ops/op_kit.h"

namespace tapeflow::ops {

struct EltwiseSpec {
  algorithm alg;             ///< forward algorithm (unless algAttr is set)
  bool useDst = false;       ///< alg is a *_use_dst_for_bwd variant
  const char* alphaAttr = nullptr;  ///< attribute holding alpha, if any
  float alphaDefault = 0.f;
  float beta = 0.f;
  /// Folds into a producer as a post-op (only when backward reads dst, so
  /// the fused output is all backward needs).
  bool fusable = false;
  float kink = 0.f;          ///< where the derivative jumps (tests)
  bool hasKink = false;
  /// String attribute choosing the algorithm among algChoices (the first
  /// entry is the default); replaces `alg`. Not for useDst or fusable ops.
  const char* algAttr = nullptr;
  std::vector<std::pair<std::string, algorithm>> algChoices = {};
};

/// Builds the OpDef of an eltwise op with ports src -> dst. A negative or
/// non-finite alpha is an AttrError when backward reads dst.
OpDef makeEltwiseOp(std::string name, EltwiseSpec spec, std::string doc);

}  // namespace tapeflow::ops
