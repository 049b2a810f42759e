// bench/ops/conv2d_bench.cpp - Conv2D forward and backward at the LeNet-5
// shapes (models/lenet5_keras.pbtxt: 5x5 SAME; models/lenet5.pbtxt: 5x5
// VALID) and one larger 3x3 layer (64->64 at 56x56, a ResNet stage).
//
// BM_Conv2D_{Forward,Backward}/n<batch>_c<in>_o<out>_<h>x<w>_k<k>[_same]
// Backward runs backward data and backward weights (+ bias), except for the
// layers reading the image (c1), where a model needs no data gradient.
#include "bench/bench_support.h"

namespace tapeflow::bench {
namespace {

struct ConvShape {
  int64_t in, out, size, kernel;
  bool same;
  std::vector<int64_t> batches;
};

bool registerConv2D() {
  const std::vector<ConvShape> shapes = {
      // lenet5_keras: conv1, conv2 (SAME).
      {1, 20, 32, 5, true, kLeNetBatches},
      {20, 50, 16, 5, true, kLeNetBatches},
      // lenet5: C1, C3, C5 (VALID).
      {1, 6, 32, 5, false, kLeNetBatches},
      {6, 16, 14, 5, false, kLeNetBatches},
      {16, 120, 5, 5, false, kLeNetBatches},
      // A larger layer, so kernel choices show beyond LeNet's tiny maps.
      {64, 64, 56, 3, true, {1, 8}},
  };
  for (const ConvShape& s : shapes) {
    OpCase c;
    c.op = "Conv2D";
    if (s.same) c.attrs["padding"] = AttrValue::ofString("SAME");
    c.operands = {{{-1, s.in, s.size, s.size}},
                  {{s.out, s.in, s.kernel, s.kernel}},
                  {{s.out}}};
    // The image has no gradient in a model: only weights and bias.
    c.inputGrads = s.in != 1;
    // Data and weight gradients each cost about one forward.
    c.backwardFlopsFactor = c.inputGrads ? 2.0 : 1.0;
    std::string shape = "c" + std::to_string(s.in) + "_o" +
                        std::to_string(s.out) + "_" + std::to_string(s.size) +
                        "x" + std::to_string(s.size) + "_k" +
                        std::to_string(s.kernel) + (s.same ? "_same" : "");
    registerOpBenchmarks("Conv2D", shape, c, s.batches);
  }
  return true;
}

[[maybe_unused]] const bool kRegistered = registerConv2D();

}  // namespace
}  // namespace tapeflow::bench
