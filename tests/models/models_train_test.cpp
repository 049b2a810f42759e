// tests/models/models_train_test.cpp - the small non-LeNet models of models/
// train with their shipped solvers on the real MNIST digits (the 8k/2k
// subset of scripts/fetch-data.sh) to a result their untrained weights and
// the best input-blind predictor fail: the residual and inception networks' accuracy, the
// regression MLP's mean squared error against the variance of the labels,
// the autoencoder's reconstruction error against the mean training image.
//
// The digits are in build/models-data/mnist, where the ctest fixture
// ModelsData.FetchMnist puts them, or in TAPEFLOW_MNIST_DIR when set.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "core/param_store.h"
#include "frontends/pbtxt/pbtxt_loader.h"
#include "ops/registry.h"
#include "tests/support/scratch_dir.h"
#include "train/data/data_source.h"
#include "train/trainer.h"
#include "tests/support/tree_paths.h"

namespace tapeflow {
namespace {

std::string mnistDir() {
  const char* env = std::getenv("TAPEFLOW_MNIST_DIR");
  return env && *env ? env : tapeflow::paths::binaryDir() + "/models-data/mnist";
}

std::string modelPath(const std::string& file) {
  return tapeflow::paths::sourceDir() + "/models/" + file;
}

/// A model, its shipped solver and the two splits of the digits.
struct ModelRun {
  std::shared_ptr<const Program> program;
  SolverConfig solver;
  std::shared_ptr<const IdxDirSource> trainData, testData;

  explicit ModelRun(const std::string& name)
      : program(Program::build(loadGraphFile(modelPath(name + ".pbtxt")), ops::registry())),
        solver(loadSolverFile(modelPath(name + ".solver.pbtxt"))),
        trainData(std::make_shared<IdxDirSource>(mnistDir(), "train")),
        testData(std::make_shared<IdxDirSource>(mnistDir(), "test")) {}

  /// Evaluation of the initialised, untrained model on the test split.
  EvalResult untrained() const {
    ParamStore store(program);
    store.initialize(solver.seed);
    return evaluate(program, store, solver, testData);
  }

  TrainResult run(const testing::ScratchDir& dir) const {
    TrainOptions o;
    o.runDir = dir.path("run");
    o.quiet = true;
    return train(program, solver, trainData, testData, o);
  }
};

/// Every pixel of every image of a split, scaled to [0, 1], image by image.
std::vector<float> pixels(const IdxDirSource& src, int64_t* perImage) {
  const FieldSpec& f = src.fields().at(size_t(src.findField("image")));
  *perImage = numel(f.dims);
  std::vector<float> out(size_t(src.size() * *perImage));
  std::vector<int32_t> label(1);
  for (int64_t i = 0; i < src.size(); ++i) {
    void* dst[2] = {out.data() + i * *perImage, label.data()};
    src.read(i, dst);
  }
  for (float& v : out) v /= 255.f;
  return out;
}

std::vector<int32_t> labels(const IdxDirSource& src) {
  std::vector<int32_t> out(size_t(src.size()));
  std::vector<float> image(size_t(numel(src.fields()[0].dims)));
  for (int64_t i = 0; i < src.size(); ++i) {
    void* dst[2] = {image.data(), out.data() + i};
    src.read(i, dst);
  }
  return out;
}

TEST(ModelsTrainTest, DataHasTheExpectedFields) {
  IdxDirSource src(mnistDir(), "train");
  ASSERT_EQ(src.fields().size(), 2u);
  EXPECT_EQ(src.fields()[0].name, "image");
  EXPECT_EQ(src.fields()[1].name, "label");
  EXPECT_EQ(src.size(), 7996);
}

TEST(ModelsTrainTest, ResNetReachesAbove95PercentInTwoEpochs) {
  ModelRun s("resnet_mnist");
  EvalResult before = s.untrained();
  ASSERT_TRUE(before.hasAccuracy);
  EXPECT_LT(before.accuracy(), 0.3);  // ten classes: about chance
  testing::ScratchDir dir("resnet");
  TrainResult r = s.run(dir);
  EXPECT_EQ(r.steps, 2 * (7996 / 32));
  ASSERT_TRUE(r.test.hasAccuracy);
  EXPECT_GT(r.test.accuracy(), 0.95) << "test loss " << r.test.loss;
  EXPECT_LT(r.test.loss, before.loss / 5);
}

TEST(ModelsTrainTest, InceptionReachesAbove90PercentInFourEpochs) {
  ModelRun s("inception_mnist");
  EvalResult before = s.untrained();
  ASSERT_TRUE(before.hasAccuracy);
  EXPECT_LT(before.accuracy(), 0.3);  // ten classes: about chance
  testing::ScratchDir dir("inception");
  TrainResult r = s.run(dir);
  EXPECT_EQ(r.steps, 4 * (7996 / 32));
  ASSERT_TRUE(r.test.hasAccuracy);
  EXPECT_GT(r.test.accuracy(), 0.9) << "test loss " << r.test.loss;
  EXPECT_LT(r.test.loss, before.loss / 4);
}

TEST(ModelsTrainTest, RegressionMlpBeatsTheLabelVarianceByFar) {
  ModelRun s("mlp_regression");
  // The best input-blind prediction is the mean label of the training set;
  // its squared error on the test set is about the labels' variance.
  std::vector<int32_t> trainLabels = labels(*s.trainData), testLabels = labels(*s.testData);
  double mean = 0, blind = 0;
  for (int32_t l : trainLabels) mean += l;
  mean /= double(trainLabels.size());
  for (int32_t l : testLabels) blind += (l - mean) * (l - mean);
  blind /= double(testLabels.size());
  EXPECT_GT(blind, 7.0);  // digits 0..9, about uniform: ~8.3
  EvalResult before = s.untrained();
  EXPECT_FALSE(before.hasAccuracy);  // a regression has no classes
  EXPECT_GT(before.loss, blind);
  testing::ScratchDir dir("mlp_regression");
  TrainResult r = s.run(dir);
  EXPECT_LT(r.test.loss, 0.3 * blind) << "blind " << blind;
}

TEST(ModelsTrainTest, AutoencoderBeatsTheMeanImageByFar) {
  ModelRun s("autoencoder_mnist");
  // The best input-blind reconstruction is the mean training image.
  int64_t n = 0;
  std::vector<float> trainPx = pixels(*s.trainData, &n), testPx = pixels(*s.testData, &n);
  std::vector<double> meanImage(size_t(n), 0.0);
  for (size_t i = 0; i < trainPx.size(); ++i) meanImage[i % size_t(n)] += trainPx[i];
  for (double& v : meanImage) v /= double(s.trainData->size());
  double blind = 0;
  for (size_t i = 0; i < testPx.size(); ++i) {
    double d = testPx[i] - meanImage[i % size_t(n)];
    blind += d * d;
  }
  blind /= double(testPx.size());
  EXPECT_GT(blind, 0.03);
  EvalResult before = s.untrained();
  EXPECT_GT(before.loss, blind);
  testing::ScratchDir dir("autoencoder");
  TrainResult r = s.run(dir);
  EXPECT_LT(r.test.loss, 0.3 * blind) << "blind " << blind;
}

}  // namespace
}  // namespace tapeflow
