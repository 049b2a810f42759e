// ops/global_average_pool.cpp - GlobalAveragePool: [N,C,H,W] -> [N,C,1,1],
//   dst[n,c] = mean over h,w of src[n,c,h,w]
//   d src[n,c,h,w] = d dst[n,c] / (H W)
#include "ops/internal/global_pool_common.h"

namespace tapeflow::ops {

const OpDef& globalAveragePoolOp() {
  static const OpDef def = makeGlobalPoolOp(
      "GlobalAveragePool", algorithm::pooling_avg_exclude_padding,
      "mean over the whole image, [N,C,H,W] -> [N,C,1,1]");
  return def;
}

}  // namespace tapeflow::ops
