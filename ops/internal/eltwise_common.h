// ops/internal/eltwise_common.h - the shared body of the elementwise
// activations and math ops (Relu, Sigmoid, Exp, Pow, Clip, ...): one oneDNN
// eltwise primitive forward, one backward (two of each for a two-stage op
// such as HardSigmoid), any layout in, same layout out.
#pragma once

#include <functional>
#include <map>
#include <optional>
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
  /// The op's math for the plan's fused chains (core/chain_fusion.h), with
  /// alpha from alphaAttr; nullopt: never fused into a chain.
  std::optional<PointwiseKind> pointwise = std::nullopt;
  float kink = 0.f;          ///< where the derivative jumps (tests)
  bool hasKink = false;
  /// String attribute choosing the algorithm among algChoices (the first
  /// entry is the default); replaces `alg`. Not for useDst or fusable ops.
  const char* algAttr = nullptr;
  std::vector<std::pair<std::string, algorithm>> algChoices = {};
  /// Attribute holding beta (default `beta`), if any.
  const char* betaAttr = nullptr;
  bool betaRequired = false;  ///< betaAttr has no default (Pow's exponent)
  const char* alphaDoc = "slope or scale of the negative side";
  const char* betaDoc = "";
  /// A second eltwise with constant alpha/beta applied to the first one's
  /// result (HardSigmoid: linear, then clip to [0, 1]). Not for fusable ops.
  bool hasThen = false;
  algorithm thenAlg = algorithm::eltwise_clip_v2;
  float thenAlpha = 0.f, thenBeta = 0.f;
  /// Extra attribute checks run by the shape function (Clip: min <= max).
  std::function<void(const NodeView&)> check = nullptr;
  /// Sample inputs are drawn from [sampleLow, sampleHigh) with sampleAttrs.
  float sampleLow = -1.f, sampleHigh = 1.f;
  std::map<std::string, AttrValue> sampleAttrs = {};
};

/// Builds the OpDef of an eltwise op with ports src -> dst. A negative or
/// non-finite alpha is an AttrError when backward reads dst.
OpDef makeEltwiseOp(std::string name, EltwiseSpec spec, std::string doc);

}  // namespace tapeflow::ops
