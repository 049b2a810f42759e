// tests/frontends/cpp_api_test.cpp - the public C++ API (<tapeflow/tapeflow.h>):
// builds the same graphs a file declares, runs them, differentiates them,
// trains with the trainer's optimizers, saves and loads checkpoints.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <tapeflow/tapeflow.h>

namespace tapeflow {
namespace {

// y = x W^T + b, loss = MSE(y, t), with a constant scale that is not trained.
GraphBuilder linearMse() {
  GraphBuilder b("mlp");
  Value x = b.input("x", {-1, 3});
  Value t = b.input("t", {-1, 2});
  Value w = b.param("w", {2, 3}, "xavier_uniform");
  Value bias = b.param("b", {2}, "zeros");
  Value h = b.node("Linear", {x, w, bias}, {}, "fc");
  b.loss(b.node("MeanSquaredError", {h, t}, {}, "mse")).output(h);
  return b;
}

TEST(CppApiTest, BuildsRunsAndDifferentiatesAGraph) {
  Model m = Model::fromBuilder(linearMse(), 5);
  m.setParam("w", Tensor({2, 3}, {1, 0, 0, 0, 1, 0}));
  m.train();
  m.forward({{"x", Tensor({2, 3}, {1, 2, 3, 4, 5, 6})}, {"t", Tensor::zeros({2, 2})}});
  Tensor y = m.value("fc");
  EXPECT_EQ(y.dims(), (Dims{2, 2}));
  EXPECT_EQ(y.data(), (std::vector<float>{1, 2, 4, 5}));
  EXPECT_NEAR(m.value("mse").item(), (1 + 4 + 16 + 25) / 4.f, 1e-5);
  m.backward();
  // d loss / d b_j = sum_i 2 (y_ij - t_ij) / 4.
  std::optional<Tensor> gb = m.grad("b");
  ASSERT_TRUE(gb.has_value());
  EXPECT_NEAR(gb->data()[0], 2.f * (1 + 4) / 4.f, 1e-5);
  EXPECT_NEAR(gb->data()[1], 2.f * (2 + 5) / 4.f, 1e-5);
  EXPECT_EQ(m.find("fc").dims(), (Dims{-1, 2}));
}

TEST(CppApiTest, ConstantsAreNotTrainableAndHaveNoGradient) {
  GraphBuilder b("scaled");
  Value x = b.input("x", {-1, 2});
  Value four = b.constant("four", {2}, {4, 4});
  Value w = b.param("w", {2}, "ones");
  Value y = b.node("Mul", {b.node("Mul", {x, four}), w});
  b.loss(b.node("ReduceMean", {y}, {{"keepdims", int64_t{0}}}, "loss"));
  Model m = Model::fromBuilder(b);
  EXPECT_FALSE(m.trainable("four"));
  EXPECT_TRUE(m.trainable("w"));
  auto ps = m.parameters();
  ASSERT_EQ(ps.size(), 2u);
  EXPECT_EQ(ps[0].name, "four");
  EXPECT_FALSE(ps[0].trainable);
  EXPECT_THROW(m.grad("w"), UsageError);  // before backward
  m.train();
  m.forward({{"x", Tensor({1, 2}, {1, 2})}});
  m.backward();
  EXPECT_FALSE(m.grad("four").has_value());
  ASSERT_TRUE(m.grad("w").has_value());
  EXPECT_NEAR(m.grad("w")->data()[1], 4.f * 2 / 2, 1e-5);
  EXPECT_THROW(m.grad("nope"), UsageError);
  EXPECT_THROW(m.trainable("x"), UsageError);
}

TEST(CppApiTest, OneSgdStepMatchesTheUpdateRule) {
  Model m = Model::fromBuilder(linearMse(), 5);
  Tensor w0 = m.param("w");
  optim::SGD opt(m, {.lr = 0.1});
  m.train();
  opt.zeroGrad();
  m.forward({{"x", Tensor({2, 3}, {1, 2, 3, 4, 5, 6})}, {"t", Tensor::zeros({2, 2})}});
  m.backward();
  Tensor g = *m.grad("w");
  opt.step();
  Tensor w1 = m.param("w");
  for (size_t i = 0; i < w0.data().size(); ++i)
    EXPECT_NEAR(w1.data()[i], w0.data()[i] - 0.1f * g.data()[i], 1e-6);
  EXPECT_EQ(opt.steps(), 1);
  m.zeroGrad();
  Tensor zeroed = *m.grad("w");
  for (float v : zeroed.data()) EXPECT_EQ(v, 0.f);
}

TEST(CppApiTest, CheckpointRoundTripWithOptimizerState) {
  auto path = std::filesystem::temp_directory_path() /
              ("cpp_api_ckpt_" + std::to_string(::getpid()) + ".tfck");
  Model a = Model::fromBuilder(linearMse(), 1);
  optim::Adam opt(a, {.lr = 0.01});
  a.train();
  a.forward({{"x", Tensor({1, 3}, {1, 2, 3})}, {"t", Tensor({1, 2}, {1, 1})}});
  a.backward();
  opt.step();
  save(a, path.string(), &opt);
  Model b = Model::fromBuilder(linearMse(), 2);
  EXPECT_NE(b.param("w").data(), a.param("w").data());
  optim::Adam opt2(b, {.lr = 0.01});
  load(b, path.string(), &opt2);
  EXPECT_EQ(b.param("w").data(), a.param("w").data());
  EXPECT_EQ(opt2.steps(), 1);
  // Another model's checkpoint is refused with a DataError naming the file.
  GraphBuilder other("other");
  other.input("x", {-1, 3});
  other.output(other.node("Linear", {"x", other.param("w", {5, 3})}));
  Model c = Model::fromBuilder(other);
  try {
    load(c, path.string());
    FAIL() << "loaded a checkpoint of another model";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
  }
  std::filesystem::remove(path);
}

TEST(CppApiTest, PadAndNormalizeAsTheTrainer) {
  Tensor img({1, 1, 2, 2}, {0, 255, 255, 0});
  Tensor p = data::pad(img, 4);
  EXPECT_EQ(p.dims(), (Dims{1, 1, 4, 4}));
  EXPECT_EQ(p.data()[5], 0.f);
  EXPECT_EQ(p.data()[6], 255.f);
  Tensor u = data::apply(img, {.padTo = 4, .normalize = "unit"});
  EXPECT_FLOAT_EQ(u.data()[6], 1.f);
  Tensor s = data::normalize(img, {.normalize = "standard", .mean = 0.5f, .stddev = 0.25f});
  EXPECT_NEAR(s.data()[0], -2.f, 1e-5);
  EXPECT_NEAR(s.data()[1], 2.f, 1e-5);
  EXPECT_THROW(data::normalize(img, {.normalize = "bogus"}), UsageError);
  EXPECT_THROW(data::loadMnist("/nonexistent-dir", "train"), IoError);
  Tensor rows = Tensor({3, 2}, {1, 2, 3, 4, 5, 6}).slice(1, 9);
  EXPECT_EQ(rows.dims(), (Dims{2, 2}));
  EXPECT_EQ(rows.data(), (std::vector<float>{3, 4, 5, 6}));
}

TEST(CppApiTest, RejectsWrongInputShape) {
  GraphBuilder b("relu");
  b.output(b.node("Relu", {b.input("x", {-1, 3})}));
  Model m = Model::fromBuilder(b);
  EXPECT_THROW(m.forward({{"x", Tensor({2, 4}, std::vector<float>(8, 1.f))}}), ShapeError);
  EXPECT_THROW(m.backward(), UsageError);
}

TEST(CppApiTest, InvalidGraphIsRejectedWithNodeName) {
  GraphBuilder b("bad");
  b.node("Relux", {b.input("x", {-1, 3})}, {}, "act");
  try {
    Model::fromBuilder(b);
    FAIL() << "accepted an unknown op";
  } catch (const GraphError& e) {
    EXPECT_NE(std::string(e.what()).find("node 'act': unknown op 'Relux'"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace tapeflow
