// tests/install/main.cpp - a program outside the tree that finds tapeflow
// with find_package and runs a graph built through the C++ API.
#include "frontends/cpp/tapeflow.h"
#include <cstdio>
#include <vector>
int main() {
  tapeflow::GraphBuilder b("tiny");
  b.input("x", {-1, 3});
  b.output(b.node("Relu", {"x"}));
  auto m = tapeflow::Model::fromGraph(b.build());
  m.setInput("x", tapeflow::Tensor({1, 3}, {-1, 0, 2}));
  m.forward();
  auto y = m.value(b.lastOutput());
  bool ok = y.data() == std::vector<float>{0, 0, 2};
  std::printf("relu([-1, 0, 2]) = [%g, %g, %g]: %s\n", y.data()[0], y.data()[1],
              y.data()[2], ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
