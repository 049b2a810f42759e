// tests/ops/softmax_cross_entropy_test.cpp - SoftmaxCrossEntropy against a
// naive loop, extreme logits, out-of-range labels (a DataError), gradients, rejects.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_loss.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

std::map<std::string, AttrValue> reduction(const std::string& r) {
  return {{"reduction", AttrValue::ofString(r)}};
}

TEST(SoftmaxCrossEntropyTest, ForwardMatchesReference) {
  for (Dims dims : {Dims{4, 10}, Dims{3, 13}, Dims{16, 21}})
    for (std::string r : {"mean", "sum"}) {
      SCOPED_TRACE(dimsStr(dims) + " " + r);
      HostTensor logits = testing::randomTensor(dims, 3, -4.f, 4.f);
      HostTensor labels = testing::randomLabels({dims[0]}, 4, int(dims[1]));
      auto y =
          testing::runOp("SoftmaxCrossEntropy", reduction(r), {logits, labels});
      ASSERT_EQ(y.size(), 1u);
      EXPECT_EQ(y[0].dims, Dims{});
      ASSERT_EQ(y[0].data.size(), 1u);
      double want = reference::softmaxCrossEntropy(
          logits.data, labels.data, dims[0], dims[1], r == "mean");
      EXPECT_NEAR(y[0].data[0], want, 1e-5 * std::max(1.0, std::fabs(want)));
    }
}

TEST(SoftmaxCrossEntropyTest, DefaultReductionIsMean) {
  HostTensor logits = testing::randomTensor({5, 7}, 1);
  HostTensor labels = testing::randomLabels({5}, 2, 7);
  auto byDefault = testing::runOp("SoftmaxCrossEntropy", {}, {logits, labels});
  auto sum =
      testing::runOp("SoftmaxCrossEntropy", reduction("sum"), {logits, labels});
  EXPECT_NEAR(byDefault[0].data[0] * 5.f, sum[0].data[0],
              1e-5f * std::fabs(sum[0].data[0]));
}

TEST(SoftmaxCrossEntropyTest, UniformLogitsGiveLogOfClassCount) {
  HostTensor logits{{2, 4}, std::vector<float>(8, 0.f)};
  HostTensor labels{{2}, {0.f, 3.f}, DType::I32};
  auto y = testing::runOp("SoftmaxCrossEntropy", {}, {logits, labels});
  // oneDNN's vectorised exp/log are good to about 1e-6 absolute.
  EXPECT_NEAR(y[0].data[0], 1.3862944f, 1e-5f);  // log(4)
}

TEST(SoftmaxCrossEntropyTest, ExtremeLogitsGiveFiniteLossAndGradients) {
  // +-1e4: exp overflows float without the max shift.
  HostTensor logits{{3, 4},
                    {1e4f, -1e4f, 0.f, 1e4f,     //
                     -1e4f, -1e4f, -1e4f, 1e4f,  //
                     1e4f, 1e4f, 1e4f, 1e4f}};
  HostTensor labels{{3}, {1.f, 3.f, 2.f}, DType::I32};
  for (std::string r : {"mean", "sum"}) {
    SCOPED_TRACE(r);
    testing::OneOpPlan p("SoftmaxCrossEntropy", reduction(r), {logits, labels},
                         Mode::Training);
    auto grads = p.gradients({0});
    float loss = p.plan->readValue("out0")[0];
    ASSERT_TRUE(std::isfinite(loss));
    double want = reference::softmaxCrossEntropy(logits.data, labels.data, 3, 4,
                                                 r == "mean");
    EXPECT_NEAR(loss, want, 1e-5 * std::fabs(want));  // about (2e4 + log 2)/3
    std::vector<double> g = reference::softmaxCrossEntropyGrad(
        logits.data, labels.data, 3, 4, r == "mean");
    ASSERT_EQ(grads[0].size(), g.size());
    for (size_t i = 0; i < g.size(); ++i) {
      ASSERT_TRUE(std::isfinite(grads[0][i])) << i;
      EXPECT_NEAR(grads[0][i], g[i], 1e-5) << i;
    }
  }
}

TEST(SoftmaxCrossEntropyTest, OutOfRangeLabelIsADataErrorNamingTheRow) {
  // The first bad row is reported: label 5 of 5 classes in row 1, then -1.
  struct Case {
    std::vector<float> labels;
    const char* message;
  } cases[] = {
      {{2.f, 5.f, -1.f, 0.f},
       "(SoftmaxCrossEntropy): row 1 has label 5, expected a class in [0, 5) (5 classes)"},
      {{-1.f, 2.f, 5.f, 1000000.f}, "row 0 has label -1, expected a class"},
      {{0.f, 1.f, 4.f, 1000000.f}, "row 3 has label 1000000, expected"},
  };
  for (const Case& c : cases) {
    HostTensor logits = testing::randomTensor({4, 5}, 8);
    HostTensor labels{{4}, c.labels, DType::I32};
    testing::OneOpPlan p("SoftmaxCrossEntropy", {}, {logits, labels}, Mode::Training);
    try {
      p.gradients({0});
      FAIL() << "accepted " << c.message;
    } catch (const DataError& e) {
      EXPECT_NE(std::string(e.what()).find(c.message), std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find("error: node '"), std::string::npos)
          << e.what();
    }
  }
  // In range, including both ends, runs.
  HostTensor logits = testing::randomTensor({4, 5}, 8);
  HostTensor labels{{4}, {0.f, 4.f, 2.f, 4.f}, DType::I32};
  testing::OneOpPlan ok("SoftmaxCrossEntropy", {}, {logits, labels}, Mode::Training);
  EXPECT_EQ(ok.gradients({0})[0].size(), 20u);
}

TEST(SoftmaxCrossEntropyTest, ColumnMajorLogits) {
  // Logits arriving in a non-plain layout are read (and their gradient
  // written) correctly.
  HostTensor logits = testing::randomTensor({5, 7}, 14, -3.f, 3.f);
  HostTensor labels = testing::randomLabels({5}, 15, 7);
  testing::OneOpPlan p("SoftmaxCrossEntropy", {}, {logits, labels},
                       Mode::Training, {}, {{0, dnnl::memory::format_tag::ba}});
  auto grads = p.gradients({0});
  EXPECT_NEAR(
      p.plan->readValue("out0")[0],
      reference::softmaxCrossEntropy(logits.data, labels.data, 5, 7, true),
      1e-5);
  std::vector<double> g =
      reference::softmaxCrossEntropyGrad(logits.data, labels.data, 5, 7, true);
  for (size_t i = 0; i < g.size(); ++i)
    EXPECT_NEAR(grads[0][i], g[i], 1e-5) << i;
}

TEST(SoftmaxCrossEntropyTest, GradientMatchesFiniteDifferences) {
  for (std::string r : {"mean", "sum"}) {
    SCOPED_TRACE(r);
    HostTensor logits = testing::randomTensor({6, 11}, 12, -3.f, 3.f);
    HostTensor labels = testing::randomLabels({6}, 13, 11);
    auto res = testing::gradCheck("SoftmaxCrossEntropy", reduction(r),
                                  {logits, labels}, SampleCase{});
    EXPECT_TRUE(res.ok) << res.report;
    EXPECT_EQ(res.checked, 66);
  }
}

template <class E>
void expectError(const std::string& substring,
                 const std::vector<HostTensor>& in,
                 const std::map<std::string, AttrValue>& attrs = {}) {
  testing::expectThrowWith<E>(
      [&] { testing::runOp("SoftmaxCrossEntropy", attrs, in); }, substring);
}

TEST(SoftmaxCrossEntropyTest, RejectsLabelCountMismatch) {
  expectError<ShapeError>(
      "input 'labels' has 3 entries, expected 4 (one per row of "
      "logits [4,10])",
      {testing::randomTensor({4, 10}, 1), testing::randomLabels({3}, 2, 10)});
}

TEST(SoftmaxCrossEntropyTest, RejectsWrongRanks) {
  expectError<ShapeError>(
      "input 'logits' [2,3,4] must have rank 2, found rank 3",
      {testing::randomTensor({2, 3, 4}, 1), testing::randomLabels({2}, 2, 3)});
  expectError<ShapeError>(
      "input 'labels' [2,1] must have rank 1",
      {testing::randomTensor({2, 3}, 1), testing::randomLabels({2, 1}, 2, 3)});
}

TEST(SoftmaxCrossEntropyTest, RejectsFloatLabels) {
  expectError<ShapeError>(
      "input 'labels' ('in1') must be i32, found f32",
      {testing::randomTensor({2, 3}, 1), testing::randomTensor({2}, 2)});
}

TEST(SoftmaxCrossEntropyTest, RejectsUnknownReduction) {
  expectError<AttrError>(
      "attribute 'reduction' must be one of",
      {testing::randomTensor({2, 3}, 1), testing::randomLabels({2}, 2, 3)},
      reduction("max"));
}

}  // namespace
}  // namespace tapeflow
