// tests/ops/identity_test.cpp - Identity: the same values and dims (also
// from a blocked producer), gradient passed through, arity checked.
#include <gtest/gtest.h>

#include "ops/op_kit.h"
#include "tests/support/expect.h"
#include "tests/support/op_harness.h"

namespace tapeflow {
namespace {

TEST(IdentityTest, ForwardMatchesReference) {
  for (Dims dims : {Dims{2, 3, 4, 4}, Dims{13}, Dims{3, 13, 2, 2}}) {
    SCOPED_TRACE(dimsStr(dims));
    testing::HostTensor x = testing::randomTensor(dims, 2);
    auto y = testing::runOp("Identity", {}, {x});
    EXPECT_EQ(y[0].dims, dims);
    EXPECT_EQ(y[0].data, x.data);
  }
}

TEST(IdentityTest, BlockedInputAndGradient) {
  const Dims dims = {2, 13, 3, 2};
  testing::HostTensor x = testing::randomTensor(dims, 5);
  std::vector<float> seed = testing::randomTensor(dims, 6).data;
  auto run = testing::runWithLayout("Identity", {}, {x}, {true},
                                    dnnl::memory::format_tag::nChw8c, seed);
  EXPECT_EQ(run.output, x.data);
  EXPECT_EQ(run.grads[0], seed);
}

TEST(IdentityTest, GradientMatchesFiniteDifferences) {
  testing::HostTensor x = testing::randomTensor({3, 5}, 9);
  auto r = testing::gradCheck("Identity", {}, {x}, SampleCase{});
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_EQ(r.checked, 15);
}

TEST(IdentityTest, RejectsTwoInputs) {
  testing::expectRejects<GraphError>("Identity", {}, {{2}, {2}},
                                     "expected 1 inputs, found 2");
}

}  // namespace
}  // namespace tapeflow
