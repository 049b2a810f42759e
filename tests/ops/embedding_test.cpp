// tests/ops/embedding_test.cpp - Embedding against a naive row loop,
// gradients into the table (repeated indices add up), out-of-range indices
// reported at run time naming the node, the index and the table size.
#include <gtest/gtest.h>

#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_shape.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

TEST(EmbeddingTest, ForwardMatchesReference) {
  for (auto [table, idxDims] : {std::pair{Dims{7, 4}, Dims{2, 3}},
                                std::pair{Dims{5, 13}, Dims{9}},
                                std::pair{Dims{3, 8}, Dims{2, 1, 2}}}) {
    SCOPED_TRACE(dimsStr(table) + " " + dimsStr(idxDims));
    HostTensor w = testing::randomTensor(table, 2);
    HostTensor idx = testing::randomLabels(idxDims, 3, int(table[0]));
    auto y = testing::runOp("Embedding", {}, {w, idx});
    Dims want = idxDims;
    want.push_back(table[1]);
    EXPECT_EQ(y[0].dims, want);
    std::vector<int64_t> rows(idx.data.begin(), idx.data.end());
    EXPECT_EQ(y[0].data, reference::gather(w.data, table, rows, 0));
  }
}

TEST(EmbeddingTest, GradientGoesIntoTheTable) {
  HostTensor w = testing::randomTensor({3, 2}, 1);
  HostTensor idx = {{2, 2}, {2, 0, 2, 2}, DType::I32};
  testing::OneOpPlan p("Embedding", {}, {w, idx}, Mode::Training);
  auto g = p.gradients({0}, {1, 2, 3, 4, 5, 6, 7, 8});
  EXPECT_EQ(g[0], (std::vector<float>{3, 4, 0, 0, 1 + 5 + 7, 2 + 6 + 8}));
}

TEST(EmbeddingTest, GradientMatchesFiniteDifferences) {
  HostTensor w = testing::randomTensor({6, 5}, 9);
  auto r = testing::gradCheck("Embedding", {},
                              {w, testing::randomLabels({4, 2}, 3, 6)},
                              SampleCase{});
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_EQ(r.checked, 30);
}

TEST(EmbeddingTest, RejectsOutOfRangeIndicesAtRunTime) {
  HostTensor w = testing::randomTensor({10, 4}, 1);
  for (float bad : {10.f, -1.f}) {
    HostTensor idx = {{3}, {0, bad, 2}, DType::I32};
    testing::expectThrowWith<DataError>(
        [&] { testing::runOp("Embedding", {}, {w, idx}); },
        "node 'node' (Embedding): index " + std::to_string(int(bad)) +
            " at position 1 of input 'indices' is out of range for the table "
            "'weights' of size 10 (valid: 0 to 9)");
  }
  testing::expectThrowWith<ShapeError>(
      [&] {
        testing::runOp("Embedding", {},
                       {testing::randomTensor({10}, 1),
                        testing::randomLabels({3}, 2, 10)});
      },
      "input 'weights' [10] must have rank 2, found rank 1");
}

}  // namespace
}  // namespace tapeflow
