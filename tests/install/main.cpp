// tests/install/main.cpp - a program outside the tree that finds tapeflow
// with find_package, includes only the public header, runs a graph built
// through the C++ API and takes one optimizer step.
#include <tapeflow/tapeflow.h>

#include <cstdio>
#include <vector>

int main() {
  tapeflow::GraphBuilder b("tiny");
  auto x = b.input("x", {-1, 3});
  auto t = b.input("t", {-1, 3});
  auto y = b.node("Mul", {x, b.param("w", {3}, "ones")}, {}, "y");
  b.loss(b.node("MeanSquaredError", {y, t}, {}, "loss")).output(y);
  auto m = tapeflow::Model::fromBuilder(b);
  tapeflow::optim::SGD opt(m, {.lr = 0.1});
  m.train();
  auto inputs = std::map<std::string, tapeflow::Tensor>{
      {"x", tapeflow::Tensor({1, 3}, {1, 2, 3})}, {"t", tapeflow::Tensor::zeros({1, 3})}};
  opt.zeroGrad();
  m.forward(inputs);
  float before = m.value("loss").item();
  m.backward();
  opt.step();
  m.forward(inputs);
  float after = m.value("loss").item();
  bool ok = after < before && m.trainable("w");
  std::printf("one SGD step: loss %g -> %g: %s\n", before, after, ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
