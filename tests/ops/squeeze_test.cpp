// tests/ops/squeeze_test.cpp - Squeeze: dims per ONNX (given axes, all
// size-1 dims), data unchanged, gradients, rejections.
#include <gtest/gtest.h>

#include "tests/support/expect.h"
#include "tests/support/op_harness.h"

namespace tapeflow {
namespace {

TEST(SqueezeTest, ForwardMatchesReference) {
  struct Case {
    Dims in;
    std::vector<int64_t> axes;  // empty: attribute not given
    Dims want;
  };
  for (const Case& c : {Case{{2, 1, 3, 1}, {1, -1}, {2, 3}},
                        Case{{1, 13, 1}, {}, {13}},
                        Case{{1, 13, 1}, {0}, {13, 1}},
                        Case{{4, 1, 9}, {1}, {4, 9}}}) {
    SCOPED_TRACE(dimsStr(c.in));
    testing::HostTensor x = testing::randomTensor(c.in, 2);
    std::map<std::string, AttrValue> attrs;
    if (!c.axes.empty()) attrs["axes"] = AttrValue::ofInts(c.axes);
    auto y = testing::runOp("Squeeze", attrs, {x});
    EXPECT_EQ(y[0].dims, c.want);
    EXPECT_EQ(y[0].data, x.data);  // the reference: the same elements
  }
}

TEST(SqueezeTest, GradientMatchesFiniteDifferences) {
  testing::HostTensor x = testing::randomTensor({3, 1, 5}, 9);
  auto r = testing::gradCheck("Squeeze", {{"axes", AttrValue::ofInts({1})}},
                              {x}, SampleCase{});
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_EQ(r.checked, 15);
}

TEST(SqueezeTest, RejectsAxesThatAreNotSizeOne) {
  testing::expectRejects<AttrError>(
      "Squeeze", {{"axes", AttrValue::ofInts({0})}}, {{2, 1}},
      "'axes': axis 0 of input 'src' [2,1] has size 2; only size-1 dims can "
      "be squeezed");
  testing::expectRejects<AttrError>("Squeeze",
                                    {{"axes", AttrValue::ofInts({3})}},
                                    {{2, 1}}, "axis 3 is out of range");
  testing::expectRejects<AttrError>("Squeeze",
                                    {{"axes", AttrValue::ofInts({1, -1})}},
                                    {{2, 1}}, "repeats axis 1");
}

}  // namespace
}  // namespace tapeflow
