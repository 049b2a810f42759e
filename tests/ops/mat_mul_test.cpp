// tests/ops/mat_mul_test.cpp - MatMul against a naive loop for every
// transpose combination (plain, batched, b shared over the batch),
// gradients through the transposed views, FLOPs and validation.
#include <gtest/gtest.h>

#include <cmath>

#include "core/program.h"
#include "ops/registry.h"
#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_linear.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

// A product C[batch?, m, n]; stored dims follow the transposes.
struct Case {
  int64_t batch;  // 0: rank 2
  int64_t m, k, n;
  bool shared;    // b rank 2 with a rank-3 a
  bool ta, tb;

  Dims aDims() const {
    Dims d = ta ? Dims{k, m} : Dims{m, k};
    if (batch) d.insert(d.begin(), batch);
    return d;
  }
  Dims bDims() const {
    Dims d = tb ? Dims{n, k} : Dims{k, n};
    if (batch && !shared) d.insert(d.begin(), batch);
    return d;
  }
  std::map<std::string, AttrValue> attrs() const {
    std::map<std::string, AttrValue> a;
    if (ta) a["transpose_a"] = AttrValue::ofInt(1);
    if (tb) a["transpose_b"] = AttrValue::ofInt(1);
    return a;
  }
  std::string label() const {
    return dimsStr(aDims()) + " x " + dimsStr(bDims()) + " ta=" +
           std::to_string(ta) + " tb=" + std::to_string(tb);
  }
};

std::vector<Case> allTransposes(int64_t batch, int64_t m, int64_t k, int64_t n,
                                bool shared) {
  std::vector<Case> out;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) out.push_back({batch, m, k, n, shared, ta, tb});
  return out;
}

TEST(MatMulTest, ForwardMatchesReference) {
  std::vector<Case> cases = allTransposes(0, 3, 5, 13, false);
  for (const Case& c : allTransposes(2, 3, 4, 5, false)) cases.push_back(c);
  for (const Case& c : allTransposes(3, 4, 9, 6, true)) cases.push_back(c);
  cases.push_back({0, 17, 33, 20, false, false, false});
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label());
    HostTensor a = testing::randomTensor(c.aDims(), 1);
    HostTensor b = testing::randomTensor(c.bDims(), 2);
    auto y = testing::runOp("MatMul", c.attrs(), {a, b});
    ASSERT_EQ(y.size(), 1u);
    Dims want = c.batch ? Dims{c.batch, c.m, c.n} : Dims{c.m, c.n};
    EXPECT_EQ(y[0].dims, want);
    auto ref = reference::matmul(a.data, b.data, std::max<int64_t>(c.batch, 1),
                                 c.m, c.k, c.n, c.ta, c.tb, c.shared);
    testing::expectClose(y[0].data, ref, 1e-4);
  }
}

TEST(MatMulTest, ForwardGolden) {
  // [[1,2],[3,4]] x [[5,6],[7,8]] = [[19,22],[43,50]]; with transpose_b
  // the second operand is [[5,7],[6,8]]: [[17,23],[39,53]].
  HostTensor a{{2, 2}, {1, 2, 3, 4}};
  HostTensor b{{2, 2}, {5, 6, 7, 8}};
  EXPECT_EQ(testing::runOp("MatMul", {}, {a, b})[0].data,
            (std::vector<float>{19, 22, 43, 50}));
  EXPECT_EQ(testing::runOp("MatMul", {{"transpose_b", AttrValue::ofInt(1)}},
                           {a, b})[0].data,
            (std::vector<float>{17, 23, 39, 53}));
}

TEST(MatMulTest, GradientMatchesFiniteDifferences) {
  std::vector<Case> cases = allTransposes(0, 4, 3, 6, false);
  for (const Case& c : allTransposes(2, 3, 5, 2, false)) cases.push_back(c);
  for (const Case& c : allTransposes(3, 2, 4, 5, true)) cases.push_back(c);
  SampleCase opts;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label());
    HostTensor a = testing::randomTensor(c.aDims(), 3);
    HostTensor b = testing::randomTensor(c.bDims(), 4);
    auto r = testing::gradCheck("MatMul", c.attrs(), {a, b}, opts);
    EXPECT_TRUE(r.ok) << r.report;
    EXPECT_EQ(r.checked, int(a.data.size() + b.data.size()));
  }
}

TEST(MatMulTest, CountsFlops) {
  auto program = Program::build(
      testing::oneOpGraph("MatMul", {{"transpose_b", AttrValue::ofInt(1)}},
                          {testing::randomTensor({2, 3, 4}, 1),
                           testing::randomTensor({2, 5, 4}, 2)},
                          1),
      ops::registry());
  EXPECT_EQ(program->flopsPerSample(0), 2 * 2 * 3 * 5 * 4);
}

template <class E>
void expectRejects(const Dims& a, const Dims& b, const std::string& substring,
                   const std::map<std::string, AttrValue>& attrs = {}) {
  testing::expectRejects<E>("MatMul", attrs, {a, b}, substring);
}

TEST(MatMulTest, RejectsDifferentInnerDimensions) {
  expectRejects<ShapeError>(
      {2, 3}, {4, 5},
      "inner dimensions differ: a [2,3] has K=3, b [4,5] has K=4");
  expectRejects<ShapeError>({2, 3, 4}, {2, 4, 5},
                            "inner dimensions differ: a [2,3,4] has K=4, "
                            "b [2,4,5] has K=5 (transpose_b=1)",
                            {{"transpose_b", AttrValue::ofInt(1)}});
}

TEST(MatMulTest, RejectsBadRanks) {
  expectRejects<ShapeError>(
      {2, 3, 4, 5}, {5, 6},
      "input 'a' [2,3,4,5] must have rank 2 or 3, found rank 4");
  expectRejects<ShapeError>(
      {3}, {3, 6}, "input 'a' [3] must have rank 2 or 3, found rank 1");
  expectRejects<ShapeError>(
      {3, 4}, {2, 4, 5},
      "input 'b' [2,4,5] is batched but input 'a' [3,4] is not");
}

TEST(MatMulTest, RejectsBatchMismatch) {
  expectRejects<ShapeError>(
      {2, 3, 4}, {3, 4, 5},
      "batch sizes differ: a [2,3,4] has 2, b [3,4,5] has 3");
}

TEST(MatMulTest, RejectsTransposeOtherThanZeroOrOne) {
  expectRejects<AttrError>({2, 3}, {3, 4},
                           "attribute 'transpose_a': must be 0 or 1, found 2",
                           {{"transpose_a", AttrValue::ofInt(2)}});
}

}  // namespace
}  // namespace tapeflow
