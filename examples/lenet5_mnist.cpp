// examples/lenet5_mnist.cpp - trains LeNet-5 (models/lenet5_keras.pbtxt) on
// the MNIST IDX files with Adam and prints the test accuracy.
//
// usage: lenet5_mnist MODEL DATA_DIR [STEPS] [MIN_ACCURACY_PERCENT]
// Exits 1 when the test accuracy is not above the bound (default 80).
#include <tapeflow/tapeflow.h>

#include <cstdio>
#include <string>

int main(int argc, char** argv) try {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL DATA_DIR [STEPS] [MIN_ACCURACY]\n", argv[0]);
    return 2;
  }
  const int steps = argc > 3 ? std::stoi(argv[3]) : 300;
  const double bound = argc > 4 ? std::stod(argv[4]) : 80.0;
  const int64_t batch = 64;

  namespace data = tapeflow::data;
  const data::Transform transform{.padTo = 32, .normalize = "unit"};
  data::Examples train = data::loadMnist(argv[2], "train");
  data::Examples test = data::loadMnist(argv[2], "test");
  train.images = data::apply(train.images, transform);
  test.images = data::apply(test.images, transform);

  auto model = tapeflow::Model::load(argv[1], /*seed=*/1);
  tapeflow::optim::Adam opt(model, {.lr = 1e-3});
  model.train();
  for (int step = 0; step < steps; ++step) {
    int64_t begin = (step * batch) % (train.size() - batch);
    opt.zeroGrad();
    model.forward({{"image", train.images.slice(begin, begin + batch)},
                   {"label", train.labels.slice(begin, begin + batch)}});
    model.backward();
    opt.step();
    if ((step + 1) % 100 == 0)
      std::printf("step %d: loss %.4f\n", step + 1, model.value("loss").item());
  }

  model.eval();
  int64_t correct = 0;
  for (int64_t begin = 0; begin < test.size(); begin += 500) {
    tapeflow::Tensor labels = test.labels.slice(begin, begin + 500);
    model.forward({{"image", test.images.slice(begin, begin + 500)}, {"label", labels}});
    tapeflow::Tensor logits = model.value(model.predictionName());
    const int64_t classes = logits.dims()[1];
    for (int64_t i = 0; i < logits.dims()[0]; ++i) {
      const float* row = logits.data().data() + i * classes;
      int64_t best = 0;
      for (int64_t c = 1; c < classes; ++c)
        if (row[c] > row[best]) best = c;
      correct += best == labels.ints()[i];
    }
  }
  const double accuracy = 100.0 * double(correct) / double(test.size());
  std::printf("test accuracy: %.2f%% after %d steps (bound > %.1f%%)\n", accuracy, steps,
              bound);
  return accuracy > bound ? 0 : 1;
} catch (const tapeflow::Error& e) {
  std::fprintf(stderr, "%s\n", e.what());
  return 2;
} catch (const std::exception& e) {
  std::fprintf(stderr, "lenet5_mnist: error: %s\n", e.what());
  return 2;
}
