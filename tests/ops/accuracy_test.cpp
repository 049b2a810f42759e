// tests/ops/accuracy_test.cpp - Accuracy against a naive loop, a literal
// golden with ties and bad labels, no gradient, rejects.
#include <gtest/gtest.h>

#include "ops/registry.h"
#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_loss.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

TEST(AccuracyTest, ForwardMatchesReference) {
  for (Dims dims : {Dims{4, 10}, Dims{3, 13}, Dims{64, 3}}) {
    SCOPED_TRACE(dimsStr(dims));
    HostTensor logits = testing::randomTensor(dims, 11);
    HostTensor labels = testing::randomLabels({dims[0]}, 12, int(dims[1]));
    auto y = testing::runOp("Accuracy", {}, {logits, labels});
    ASSERT_EQ(y.size(), 1u);
    EXPECT_EQ(y[0].dims, Dims{});
    EXPECT_EQ(y[0].dtype, DType::F32);
    double want =
        reference::accuracy(logits.data, labels.data, dims[0], dims[1]);
    EXPECT_NEAR(y[0].data[0], want, 1e-7);
  }
}

TEST(AccuracyTest, ColumnMajorLogits) {
  HostTensor logits = testing::randomTensor({16, 5}, 13);
  HostTensor labels = testing::randomLabels({16}, 14, 5);
  testing::OneOpPlan p("Accuracy", {}, {logits, labels}, Mode::Inference, {},
                       {{0, dnnl::memory::format_tag::ba}});
  p.plan->forward();
  EXPECT_NEAR(p.plan->readValue("out0")[0],
              reference::accuracy(logits.data, labels.data, 16, 5), 1e-7);
}

TEST(AccuracyTest, LiteralGolden) {
  HostTensor logits{{5, 3},
                    {0.1f, 0.9f, 0.0f,    // argmax 1, label 1: right
                     0.5f, 0.5f, 0.2f,    // tie: argmax 0, label 1: wrong
                     0.5f, 0.5f, 0.2f,    // tie: argmax 0, label 0: right
                     0.3f, 0.2f, 0.1f,    // argmax 0, label 2: wrong
                     0.0f, 0.0f, 1.0f}};  // argmax 2, label 7 (bad): wrong
  HostTensor labels{{5}, {1.f, 1.f, 0.f, 2.f, 7.f}, DType::I32};
  auto y = testing::runOp("Accuracy", {}, {logits, labels});
  EXPECT_FLOAT_EQ(y[0].data[0], 0.4f);
}

TEST(AccuracyTest, HasNoGradient) {
  const OpDef* def = ops::registry().find("Accuracy");
  ASSERT_NE(def, nullptr);
  EXPECT_FALSE(def->isDifferentiable());
  EXPECT_FALSE(def->inputPort(0).differentiable);
  testing::OneOpPlan p(
      "Accuracy", {},
      {testing::randomTensor({4, 3}, 1), testing::randomLabels({4}, 2, 3)},
      Mode::Training);
  p.plan->forward();
  EXPECT_THROW(p.plan->readGrad("in0"), UsageError);
}

void expectShapeError(const std::string& substring,
                      const std::vector<HostTensor>& in) {
  testing::expectThrowWith<ShapeError>(
      [&] { testing::runOp("Accuracy", {}, in); }, substring);
}

TEST(AccuracyTest, RejectsLabelCountMismatch) {
  expectShapeError(
      "input 'labels' has 5 entries, expected 4 (one per row of logits [4,3])",
      {testing::randomTensor({4, 3}, 1), testing::randomLabels({5}, 2, 3)});
}

TEST(AccuracyTest, RejectsWrongRanksAndDtypes) {
  expectShapeError(
      "input 'logits' [12] must have rank 2, found rank 1",
      {testing::randomTensor({12}, 1), testing::randomLabels({12}, 2, 3)});
  expectShapeError(
      "input 'labels' [4,1] must have rank 1, found rank 2",
      {testing::randomTensor({4, 3}, 1), testing::randomLabels({4, 1}, 2, 3)});
  expectShapeError(
      "input 'labels' ('in1') must be i32, found f32",
      {testing::randomTensor({4, 3}, 1), testing::randomTensor({4}, 2)});
}

}  // namespace
}  // namespace tapeflow
