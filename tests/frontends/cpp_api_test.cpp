// tests/frontends/cpp_api_test.cpp - the C++ API builds the same graphs a
// file declares, runs them, and exposes parameters and gradients.
#include <gtest/gtest.h>

#include <cmath>

#include "frontends/cpp/tapeflow.h"

namespace tapeflow {
namespace {

// y = relu(x W^T + b), loss = MSE(y, t): checks the gradient of b by hand.
TEST(CppApiTest, BuildsRunsAndDifferentiatesAGraph) {
  GraphBuilder b("mlp");
  b.input("x", {-1, 3});
  b.input("t", {-1, 2});
  b.param("w", {2, 3}, "xavier_uniform");
  b.param("b", {2}, "zeros");
  std::string h = b.node("Linear", {"x", "w", "b"}, {}, "fc");
  std::string loss = b.node("MeanSquaredError", {h, "t"}, {}, "mse");
  b.loss(loss).output(h);
  Model m = Model::fromGraph(b.build(), 5);
  m.setParam("w", Tensor({2, 3}, {1, 0, 0, 0, 1, 0}));
  m.setInput("x", Tensor({2, 3}, {1, 2, 3, 4, 5, 6}));
  m.setInput("t", Tensor({2, 2}, {0, 0, 0, 0}));
  m.forward(true);
  Tensor y = m.value("fc");
  EXPECT_EQ(y.dims(), (Dims{2, 2}));
  EXPECT_EQ(y.data(), (std::vector<float>{1, 2, 4, 5}));
  // mean((y - t)^2) over 4 elements.
  EXPECT_NEAR(m.value("mse").data()[0], (1 + 4 + 16 + 25) / 4.f, 1e-5);
  m.backward();
  // d loss / d b_j = sum_i 2 (y_ij - t_ij) / 4.
  Tensor gb = m.grad("b");
  EXPECT_NEAR(gb.data()[0], 2.f * (1 + 4) / 4.f, 1e-5);
  EXPECT_NEAR(gb.data()[1], 2.f * (2 + 5) / 4.f, 1e-5);
}

TEST(CppApiTest, RejectsWrongInputShape) {
  GraphBuilder b("relu");
  b.input("x", {-1, 3});
  b.output(b.node("Relu", {"x"}));
  Model m = Model::fromGraph(b.build());
  m.setInput("x", Tensor({2, 4}, std::vector<float>(8, 1.f)));
  EXPECT_THROW(m.forward(), ShapeError);
}

TEST(CppApiTest, InvalidGraphIsRejectedWithNodeName) {
  GraphBuilder b("bad");
  b.input("x", {-1, 3});
  b.node("Relux", {"x"}, {}, "act");
  try {
    Model::fromGraph(b.build());
    FAIL() << "accepted an unknown op";
  } catch (const GraphError& e) {
    EXPECT_NE(std::string(e.what()).find("node 'act': unknown op 'Relux'"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace tapeflow
