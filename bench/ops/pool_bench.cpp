// bench/ops/pool_bench.cpp - 2x2 pooling at the LeNet-5 shapes: MaxPool
// after the convolutions of models/lenet5_keras.pbtxt, AvgPool (the sum
// pooling of S2 and S4) in models/lenet5.pbtxt; and both on a one-channel
// 28x28 image (plain nchw with C = 1 runs on nhwc views, see
// ops/internal/pool_common.h).
//
// BM_{MaxPool,AvgPool}_{Forward,Backward}/n<batch>_c<channels>_<h>x<w>_k2
// Inputs arrive plain (nchw) here; in the models they come in the layout
// the convolution chose (see the model benchmarks).
#include "bench/bench_support.h"

namespace tapeflow::bench {
namespace {

struct PoolShape {
  const char* op;
  int64_t channels, size;
};

bool registerPool() {
  const std::vector<PoolShape> shapes = {
      {"MaxPool", 20, 32}, {"MaxPool", 50, 16},  // lenet5_keras pool1, pool2
      {"AvgPool", 6, 28},  {"AvgPool", 16, 10},  // lenet5 S2, S4
      {"MaxPool", 1, 28},  {"AvgPool", 1, 28},   // pooling the input image
  };
  for (const PoolShape& s : shapes) {
    OpCase c;
    c.op = s.op;
    c.attrs["kernel"] = AttrValue::ofInts({2, 2});
    c.operands = {{{-1, s.channels, s.size, s.size}}};
    registerOpBenchmarks(s.op,
                         "c" + std::to_string(s.channels) + "_" +
                             std::to_string(s.size) + "x" +
                             std::to_string(s.size) + "_k2",
                         c, kLeNetBatches);
  }
  return true;
}

[[maybe_unused]] const bool kRegistered = registerPool();

}  // namespace
}  // namespace tapeflow::bench
