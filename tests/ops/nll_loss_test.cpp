// tests/ops/nll_loss_test.cpp - NLLLoss against a naive loop (both
// reductions), LogSoftmax + NLLLoss = SoftmaxCrossEntropy, out-of-range
// labels, gradients, finite differences, rejections.
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

TEST(NLLLossTest, ForwardMatchesReference) {
  for (Dims dims : {Dims{4, 10}, Dims{3, 13}, Dims{16, 21}})
    for (std::string r : {"mean", "sum"}) {
      SCOPED_TRACE(dimsStr(dims) + " " + r);
      HostTensor logp = testing::randomTensor(dims, 3, -4.f, 0.f);
      HostTensor labels = testing::randomLabels({dims[0]}, 4, int(dims[1]));
      auto y = testing::runOp("NLLLoss", reduction(r), {logp, labels});
      ASSERT_EQ(y.size(), 1u);
      EXPECT_EQ(y[0].dims, Dims{});
      double want = reference::nllLoss(logp.data, labels.data, dims[0],
                                       dims[1], r == "mean");
      EXPECT_NEAR(y[0].data[0], want, 1e-5 * std::max(1.0, std::fabs(want)));
    }
}

TEST(NLLLossTest, AfterLogSoftmaxEqualsSoftmaxCrossEntropy) {
  HostTensor logits = testing::randomTensor({5, 13}, 7, -3.f, 3.f);
  HostTensor labels = testing::randomLabels({5}, 8, 13);
  Graph g;
  g.name = "nll";
  g.params = {testing::paramOf("x", logits)};
  InputDef in;
  in.name = "labels";
  in.dtype = DType::I32;
  in.dims = {5};
  g.inputs = {in};
  g.nodes = {testing::nodeOf("lsm", "LogSoftmax", {"x"}, "logp"),
             testing::nodeOf("nll", "NLLLoss", {"logp", "labels"}, "loss")};
  g.outputs = {"loss"};
  g.file = "<test>";
  PlanOptions opts;
  opts.mode = Mode::Training;
  opts.gradTargets = {"loss"};
  testing::GraphPlan p(g, opts);
  auto& m = p.plan->inputMemory("labels");
  for (int i = 0; i < 5; ++i)
    static_cast<int32_t*>(m.get_data_handle())[i] = int32_t(labels.data[i]);
  p.plan->forward();
  float one = 1.f;
  p.plan->seedGrad("loss", &one);
  p.plan->backward();
  EXPECT_NEAR(
      p.plan->readValue("loss")[0],
      reference::softmaxCrossEntropy(logits.data, labels.data, 5, 13, true),
      1e-5);
  std::vector<double> want = reference::softmaxCrossEntropyGrad(
      logits.data, labels.data, 5, 13, true);
  std::vector<float> got = p.plan->readGrad("x");
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5);
}

TEST(NLLLossTest, GradientIsMinusSeedAtTheLabel) {
  HostTensor logp = testing::randomTensor({2, 3}, 1, -3.f, 0.f);
  HostTensor labels{{2}, {2.f, 0.f}, DType::I32};
  testing::OneOpPlan p("NLLLoss", {}, {logp, labels}, Mode::Training);
  auto g = p.gradients({0}, {4.f});
  EXPECT_EQ(g[0], (std::vector<float>{0.f, 0.f, -2.f, -2.f, 0.f, 0.f}));
}

TEST(NLLLossTest, OutOfRangeLabelIsADataErrorNamingTheRow) {
  // The first bad row is reported: label 5 of 5 classes in row 1, then -1.
  struct Case {
    std::vector<float> labels;
    const char* message;
  } cases[] = {
      {{2.f, 5.f, -1.f, 0.f},
       "(NLLLoss): row 1 has label 5, expected a class in [0, 5) (5 classes)"},
      {{-1.f, 2.f, 5.f, 1000000.f}, "row 0 has label -1, expected a class"},
      {{0.f, 1.f, 4.f, 1000000.f}, "row 3 has label 1000000, expected"},
  };
  for (const Case& c : cases) {
    HostTensor logits = testing::randomTensor({4, 5}, 8, -3.f, 0.f);
    HostTensor labels{{4}, c.labels, DType::I32};
    testing::OneOpPlan p("NLLLoss", {}, {logits, labels}, Mode::Training);
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
  HostTensor logits = testing::randomTensor({4, 5}, 8, -3.f, 0.f);
  HostTensor labels{{4}, {0.f, 4.f, 2.f, 4.f}, DType::I32};
  testing::OneOpPlan ok("NLLLoss", {}, {logits, labels}, Mode::Training);
  EXPECT_EQ(ok.gradients({0})[0].size(), 20u);
}

TEST(NLLLossTest, GradientMatchesFiniteDifferences) {
  for (std::string r : {"mean", "sum"}) {
    SCOPED_TRACE(r);
    HostTensor logp = testing::randomTensor({6, 11}, 12, -3.f, 0.f);
    HostTensor labels = testing::randomLabels({6}, 13, 11);
    auto res =
        testing::gradCheck("NLLLoss", reduction(r), {logp, labels}, SampleCase{});
    EXPECT_TRUE(res.ok) << res.report;
    EXPECT_EQ(res.checked, 66);
  }
}

template <class E>
void expectError(const std::string& substring,
                 const std::vector<HostTensor>& in,
                 const std::map<std::string, AttrValue>& attrs = {}) {
  testing::expectThrowWith<E>(
      [&] { testing::runOp("NLLLoss", attrs, in); }, substring);
}

TEST(NLLLossTest, Rejections) {
  expectError<ShapeError>(
      "input 'labels' has 3 entries, expected 4",
      {testing::randomTensor({4, 10}, 1), testing::randomLabels({3}, 2, 10)});
  expectError<ShapeError>(
      "input 'logp' [2,3,4] must have rank 2, found rank 3",
      {testing::randomTensor({2, 3, 4}, 1), testing::randomLabels({2}, 2, 3)});
  expectError<ShapeError>(
      "input 'labels' ('in1') must be i32, found f32",
      {testing::randomTensor({2, 3}, 1), testing::randomTensor({2}, 2)});
  expectError<AttrError>(
      "attribute 'reduction' must be one of",
      {testing::randomTensor({2, 3}, 1), testing::randomLabels({2}, 2, 3)},
      reduction("max"));
}

}  // namespace
}  // namespace tapeflow
