// tests/ops/unsqueeze_test.cpp - Unsqueeze: dims per ONNX (axes index the
// output), data unchanged, gradients, rejections.
#include <gtest/gtest.h>

#include "tests/support/expect.h"
#include "tests/support/op_harness.h"

namespace tapeflow {
namespace {

TEST(UnsqueezeTest, ForwardMatchesReference) {
  struct Case {
    Dims in;
    std::vector<int64_t> axes;
    Dims want;
  };
  for (const Case& c : {Case{{2, 3}, {0, -1}, {1, 2, 3, 1}},
                        Case{{3, 13}, {1}, {3, 1, 13}},
                        Case{{5}, {0, 2}, {1, 5, 1}},
                        Case{{2, 3}, {3, 1}, {2, 1, 3, 1}}}) {
    SCOPED_TRACE(dimsStr(c.in));
    testing::HostTensor x = testing::randomTensor(c.in, 2);
    auto y = testing::runOp("Unsqueeze", {{"axes", AttrValue::ofInts(c.axes)}},
                            {x});
    EXPECT_EQ(y[0].dims, c.want);
    EXPECT_EQ(y[0].data, x.data);  // the reference: the same elements
  }
}

TEST(UnsqueezeTest, GradientMatchesFiniteDifferences) {
  testing::HostTensor x = testing::randomTensor({3, 5}, 9);
  auto r = testing::gradCheck("Unsqueeze", {{"axes", AttrValue::ofInts({2})}},
                              {x}, SampleCase{});
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_EQ(r.checked, 15);
}

TEST(UnsqueezeTest, RejectsBadAxes) {
  testing::expectRejects<AttrError>("Unsqueeze",
                                    {{"axes", AttrValue::ofInts({3})}},
                                    {{2, 1}}, "axis 3 is out of range [-3, 2]");
  testing::expectRejects<AttrError>("Unsqueeze",
                                    {{"axes", AttrValue::ofInts({0, -3})}},
                                    {{2}}, "repeats axis 0");
  testing::expectRejects<AttrError>("Unsqueeze",
                                    {{"axes", AttrValue::ofInts({})}}, {{2}},
                                    "must name at least one axis");
}

}  // namespace
}  // namespace tapeflow
