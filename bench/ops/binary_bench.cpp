// bench/ops/binary_bench.cpp - Mul and Add with a per-channel operand
// [1,C,1,1] broadcast over [N,C,H,W]: the trainable coefficient and bias of
// S2 ([N,6,14,14]) and S4 ([N,16,5,5]) in models/lenet5.pbtxt.
//
// BM_{Mul,Add}_{Forward,Backward}/n<batch>_c<channels>_<h>x<w>_bcast_c
// Backward writes both gradients; the per-channel one sums over N, H, W.
#include "bench/bench_support.h"

namespace tapeflow::bench {
namespace {

bool registerBinary() {
  const std::vector<std::pair<int64_t, int64_t>> shapes = {{6, 14}, {16, 5}};
  for (const char* op : {"Mul", "Add"})
    for (auto [channels, size] : shapes) {
      OpCase c;
      c.op = op;
      c.operands = {{{-1, channels, size, size}}, {{1, channels, 1, 1}}};
      registerOpBenchmarks(op,
                           "c" + std::to_string(channels) + "_" +
                               std::to_string(size) + "x" +
                               std::to_string(size) + "_bcast_c",
                           c, kLeNetBatches);
    }
  return true;
}

[[maybe_unused]] const bool kRegistered = registerBinary();

}  // namespace
}  // namespace tapeflow::bench
