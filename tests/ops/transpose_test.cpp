// tests/ops/transpose_test.cpp - Transpose against a naive index loop
// (given and default perms, blocked input), gradients, rejections.
#include <gtest/gtest.h>

#include "ops/op_kit.h"
#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_shape.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

std::map<std::string, AttrValue> permAttr(std::vector<int64_t> p) {
  return {{"perm", AttrValue::ofInts(std::move(p))}};
}

TEST(TransposeTest, ForwardMatchesReference) {
  struct Case {
    Dims in;
    std::vector<int64_t> perm;
    Dims want;
  };
  for (const Case& c : {Case{{2, 3, 4, 5}, {0, 2, 3, 1}, {2, 4, 5, 3}},
                        Case{{3, 13}, {1, 0}, {13, 3}},
                        Case{{2, 13, 3}, {2, 0, 1}, {3, 2, 13}},
                        Case{{4, 1, 5}, {1, 2, 0}, {1, 5, 4}}}) {
    SCOPED_TRACE(dimsStr(c.in) + " perm " + dimsStr(c.perm));
    HostTensor x = testing::randomTensor(c.in, 3);
    auto y = testing::runOp("Transpose", permAttr(c.perm), {x});
    ASSERT_EQ(y.size(), 1u);
    EXPECT_EQ(y[0].dims, c.want);
    EXPECT_EQ(y[0].data, reference::transpose(x.data, c.in, c.perm));
  }
}

TEST(TransposeTest, DefaultPermReversesTheDims) {
  HostTensor x = testing::randomTensor({2, 3, 5}, 4);
  auto y = testing::runOp("Transpose", {}, {x});
  EXPECT_EQ(y[0].dims, (Dims{5, 3, 2}));
  EXPECT_EQ(y[0].data, reference::transpose(x.data, {2, 3, 5}, {2, 1, 0}));
}

TEST(TransposeTest, BlockedInputMatchesPlain) {
  const Dims dims = {2, 13, 3, 2};
  HostTensor x = testing::randomTensor(dims, 5);
  std::vector<float> seed = testing::randomTensor({2, 3, 2, 13}, 6).data;
  auto attrs = permAttr({0, 2, 3, 1});
  auto plain = testing::runWithLayout("Transpose", attrs, {x}, {false},
                                      dnnl::memory::format_tag::nChw8c, seed);
  auto blocked = testing::runWithLayout("Transpose", attrs, {x}, {true},
                                        dnnl::memory::format_tag::nChw8c, seed);
  EXPECT_EQ(blocked.output, reference::transpose(x.data, dims, {0, 2, 3, 1}));
  EXPECT_EQ(blocked.output, plain.output);
  EXPECT_EQ(blocked.grads[0], plain.grads[0]);
  // d src is d dst moved back by the inverse permutation.
  EXPECT_EQ(plain.grads[0],
            reference::transpose(seed, {2, 3, 2, 13}, {0, 3, 1, 2}));
}

TEST(TransposeTest, GradientMatchesFiniteDifferences) {
  HostTensor x = testing::randomTensor({3, 5, 2}, 9);
  auto r = testing::gradCheck("Transpose", permAttr({1, 2, 0}), {x},
                              SampleCase{});
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_EQ(r.checked, 30);
}

TEST(TransposeTest, RejectsBadPerms) {
  testing::expectRejects<AttrError>("Transpose", permAttr({0, 1}), {{2, 3, 4}},
                                    "'perm': has 2 entries, expected 3");
  testing::expectRejects<AttrError>("Transpose", permAttr({0, 0, 1}),
                                    {{2, 3, 4}},
                                    "[0,0,1] is not a permutation of 0..2");
  testing::expectRejects<AttrError>("Transpose", permAttr({0, 3, 1}),
                                    {{2, 3, 4}}, "is not a permutation");
}

}  // namespace
}  // namespace tapeflow
