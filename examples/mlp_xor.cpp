// examples/mlp_xor.cpp - an MLP built in code learns XOR from an in-memory
// data set with Adam. Exits 1 unless the final loss is below 0.05 and every
// sample is classified correctly.
#include <tapeflow/tapeflow.h>

#include <cstdio>

int main() try {
  tapeflow::GraphBuilder b("xor_mlp");
  auto x = b.input("x", {-1, 2});
  auto label = b.input("label", {-1}, tapeflow::DType::I32);
  auto h = b.node("Linear", {x, b.param("fc1.w", {16, 2}, "he_uniform"),
                             b.param("fc1.b", {16}, "zeros")});
  h = b.node("Relu", {h});
  auto logits = b.node("Linear", {h, b.param("fc2.w", {2, 16}, "xavier_uniform"),
                                  b.param("fc2.b", {2}, "zeros")}, {}, "logits");
  b.loss(b.node("SoftmaxCrossEntropy", {logits, label}, {}, "loss")).prediction(logits);

  auto model = tapeflow::Model::fromBuilder(b, /*seed=*/7);
  tapeflow::optim::Adam opt(model, {.lr = 0.05});
  tapeflow::data::Examples xor4{tapeflow::Tensor({4, 2}, {0, 0, 0, 1, 1, 0, 1, 1}),
                                tapeflow::Tensor::ofInts({4}, {0, 1, 1, 0})};
  model.train();
  float loss = 0;
  for (int step = 1; step <= 300; ++step) {
    opt.zeroGrad();
    model.forward({{"x", xor4.images}, {"label", xor4.labels}});
    model.backward();
    opt.step();
    loss = model.value("loss").item();
    if (step % 50 == 0) std::printf("step %d: loss %.4f\n", step, loss);
  }
  model.eval();
  model.forward({{"x", xor4.images}, {"label", xor4.labels}});
  tapeflow::Tensor out = model.value(logits);
  int correct = 0;
  for (int i = 0; i < 4; ++i)
    correct += int(out.data()[2 * i + 1] > out.data()[2 * i]) == xor4.labels.ints()[i];
  std::printf("final loss %.4f, %d/4 correct\n", loss, correct);
  return loss < 0.05f && correct == 4 ? 0 : 1;
} catch (const tapeflow::Error& e) {
  std::fprintf(stderr, "%s\n", e.what());
  return 2;
}
