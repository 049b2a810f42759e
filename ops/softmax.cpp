// ops/softmax.cpp - Softmax: dst_i = exp(src_i) / sum_j exp(src_j) along axis
//   d src = dst * (d dst - sum_j(d dst_j * dst_j))
// NOTE: softmax_accurate subtracts the maximum first, so large logits stay
// finite; backward reads dst.
#include "ops/internal/softmax_common.h"

namespace tapeflow::ops {

const OpDef& softmaxOp() {
  static const OpDef def =
      makeSoftmaxOp("Softmax", algorithm::softmax_accurate,
                    "normalised exponential along axis (default: the last)");
  return def;
}

}  // namespace tapeflow::ops
