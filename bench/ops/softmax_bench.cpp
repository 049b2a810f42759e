// bench/ops/softmax_bench.cpp - SoftmaxCrossEntropy (mean over the batch) on
// the 10 logits of both LeNet-5 models.
//
// BM_SoftmaxCrossEntropy_{Forward,Backward}/n<batch>_10
// Backward writes d logits (the labels get no gradient).
#include "bench/bench_support.h"

namespace tapeflow::bench {
namespace {

bool registerSoftmax() {
  OpCase c;
  c.op = "SoftmaxCrossEntropy";
  c.operands = {{{-1, 10}}, {{-1}, DType::I32}};
  c.labelRange = 10;
  registerOpBenchmarks("SoftmaxCrossEntropy", "10", c, kLeNetBatches);
  return true;
}

[[maybe_unused]] const bool kRegistered = registerSoftmax();

}  // namespace
}  // namespace tapeflow::bench
