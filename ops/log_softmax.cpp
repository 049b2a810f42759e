// ops/log_softmax.cpp - LogSoftmax: dst_i = src_i - log(sum_j exp(src_j))
//   d src = d dst - exp(dst) * sum_j(d dst_j)            (along axis)
// NOTE: computed by oneDNN directly (softmax_log, max subtracted first), not
// as log(Softmax), so very negative logits give finite values; backward reads
// dst.
#include "ops/internal/softmax_common.h"

namespace tapeflow::ops {

const OpDef& logSoftmaxOp() {
  static const OpDef def =
      makeSoftmaxOp("LogSoftmax", algorithm::softmax_log,
                    "logarithm of the softmax along axis (default: the last)");
  return def;
}

}  // namespace tapeflow::ops
