// bench/ops/linear_bench.cpp - Linear (inner product with bias) forward and
// backward at the LeNet-5 dense layers: 3200->500 and 500->10
// (models/lenet5_keras.pbtxt), 120->84 and 84->10 (models/lenet5.pbtxt).
//
// BM_Linear_{Forward,Backward}/n<batch>_k<in features>_o<out features>
// Backward computes the data, weight and bias gradients.
#include "bench/bench_support.h"

namespace tapeflow::bench {
namespace {

bool registerLinear() {
  const std::vector<std::pair<int64_t, int64_t>> shapes = {
      {3200, 500}, {500, 10}, {120, 84}, {84, 10}};
  for (auto [in, out] : shapes) {
    OpCase c;
    c.op = "Linear";
    c.operands = {{{-1, in}}, {{out, in}}, {{out}}};
    c.backwardFlopsFactor = 2.0;
    registerOpBenchmarks(
        "Linear", "k" + std::to_string(in) + "_o" + std::to_string(out), c,
        kLeNetBatches);
  }
  return true;
}

[[maybe_unused]] const bool kRegistered = registerLinear();

}  // namespace
}  // namespace tapeflow::bench
