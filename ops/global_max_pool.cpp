// ops/global_max_pool.cpp - GlobalMaxPool: [N,C,H,W] -> [N,C,1,1],
//   dst[n,c] = max over h,w of src[n,c,h,w]
//   d src = d dst[n,c] at the one maximum oneDNN recorded, 0 elsewhere
#include "ops/internal/global_pool_common.h"

namespace tapeflow::ops {

const OpDef& globalMaxPoolOp() {
  static const OpDef def = makeGlobalPoolOp(
      "GlobalMaxPool", algorithm::pooling_max,
      "max over the whole image, [N,C,H,W] -> [N,C,1,1]");
  return def;
}

}  // namespace tapeflow::ops
