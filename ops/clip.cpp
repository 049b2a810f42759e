// ops/clip.cpp - Clip: dst = min(max(src, min), max)
//   d src = d dst where min < dst < max, else 0
// oneDNN's eltwise_clip_v2_use_dst_for_bwd (backward reads dst). ONNX gives
// min and max as optional inputs; constant ones map to these attributes,
// whose defaults are the float range. min > max is an AttrError.
#include <limits>

#include "ops/internal/eltwise_common.h"

namespace tapeflow::ops {
namespace {

void checkBounds(const NodeView& ctx) {
  float lo = ctx.attrFloat("min"), hi = ctx.attrFloat("max");
  if (lo > hi)
    ctx.failAttr("min", "must be <= max (" + AttrValue::ofFloat(hi).str() +
                            "), found " + AttrValue::ofFloat(lo).str());
}

}  // namespace

const OpDef& clipOp() {
  static const OpDef def = makeEltwiseOp(
      "Clip",
      {.alg = algorithm::eltwise_clip_v2_use_dst_for_bwd, .useDst = true,
       .alphaAttr = "min",
       .alphaDefault = std::numeric_limits<float>::lowest(),
       .beta = std::numeric_limits<float>::max(), .kink = -0.5f,
       .hasKink = true, .betaAttr = "max", .alphaDoc = "lower bound",
       .betaDoc = "upper bound",
       .check = checkBounds,
       .sampleAttrs = {{"min", AttrValue::ofFloat(-0.5f)},
                       {"max", AttrValue::ofFloat(2.f)}}},
      "clamps x to [min, max]");
  return def;
}

}  // namespace tapeflow::ops
