// bench/ops/eltwise_bench.cpp - element-wise activations at the LeNet-5
// shapes: Relu after conv1, conv2 and dense1 of models/lenet5_keras.pbtxt
// (fused into the producer there; standalone here), Sigmoid of S2 and S4
// and ScaledTanh (1.7159 tanh(2/3 x)) of F6 in models/lenet5.pbtxt.
//
// BM_<Op>_{Forward,Backward}/n<batch>_c<channels>_<h>x<w> or n<batch>_<features>
#include "bench/bench_support.h"

namespace tapeflow::bench {
namespace {

struct EltwiseShape {
  const char* op;
  Dims dims;  ///< without the batch
};

std::string shapeName(const Dims& dims) {
  if (dims.size() == 1) return std::to_string(dims[0]);
  return "c" + std::to_string(dims[0]) + "_" + std::to_string(dims[1]) + "x" +
         std::to_string(dims[2]);
}

bool registerEltwise() {
  const std::vector<EltwiseShape> shapes = {
      {"Relu", {20, 32, 32}},   {"Relu", {50, 16, 16}},   {"Relu", {500}},
      {"Sigmoid", {6, 14, 14}}, {"Sigmoid", {16, 5, 5}},  {"ScaledTanh", {84}},
  };
  for (const EltwiseShape& s : shapes) {
    OpCase c;
    c.op = s.op;
    Dims dims{-1};
    dims.insert(dims.end(), s.dims.begin(), s.dims.end());
    c.operands = {{dims}};
    registerOpBenchmarks(s.op, shapeName(s.dims), c, kLeNetBatches);
  }
  return true;
}

[[maybe_unused]] const bool kRegistered = registerEltwise();

}  // namespace
}  // namespace tapeflow::bench
