// tests/ops/flatten_test.cpp - Flatten: dims [d0..d(axis-1), product of the
// rest], data unchanged, blocked inputs, gradients, rejections.
#include <gtest/gtest.h>

#include <optional>

#include "core/program.h"
#include "ops/registry.h"
#include "tests/support/expect.h"
#include "tests/support/op_harness.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

std::map<std::string, AttrValue> axisAttr(int64_t axis) {
  return {{"axis", AttrValue::ofInt(axis)}};
}

TEST(FlattenTest, ForwardMatchesReference) {
  struct Case {
    Dims in;
    std::optional<int64_t> axis;
    Dims want;
  };
  for (const Case& c : {Case{{2, 3, 4, 4}, std::nullopt, {2, 48}},
                        Case{{3, 13, 2, 2}, 2, {3, 13, 4}},
                        Case{{2, 3, 4}, 0, {24}},
                        Case{{2, 3, 4}, -1, {2, 3, 4}},
                        Case{{2, 3, 4}, -2, {2, 12}},
                        Case{{2, 3}, 2, {2, 3, 1}}}) {
    SCOPED_TRACE(dimsStr(c.in) + " axis " +
                 (c.axis ? std::to_string(*c.axis) : "default"));
    HostTensor x = testing::randomTensor(c.in, 5);
    auto y = testing::runOp(
        "Flatten", c.axis ? axisAttr(*c.axis) : std::map<std::string, AttrValue>{},
        {x});
    ASSERT_EQ(y.size(), 1u);
    EXPECT_EQ(y[0].dims, c.want);
    EXPECT_EQ(y[0].data, x.data);  // flattening never moves an element
  }
}

TEST(FlattenTest, GradientMatchesFiniteDifferences) {
  HostTensor x = testing::randomTensor({2, 5, 3}, 9);
  auto r = testing::gradCheck("Flatten", axisAttr(1), {x}, SampleCase{});
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_EQ(r.checked, 30);
}

TEST(FlattenTest, BlockedInputIsRelayoutedToPlain) {
  // 3 channels: nChw8c pads them to 8, so a raw copy would be wrong.
  HostTensor x = testing::randomTensor({2, 3, 5, 5}, 21);
  Graph g = testing::oneOpGraph("Flatten", {}, {x}, 1);
  testing::insertLayout(g, 0, 0, dnnl::memory::format_tag::nChw8c);
  testing::GraphRun run = testing::runGraph(g);
  EXPECT_EQ(run.dims["out0"], (Dims{2, 75}));
  EXPECT_EQ(run.values["out0"], x.data);
  EXPECT_EQ(run.grads["in0"], run.seeds["out0"]);
}

TEST(FlattenTest, CountsNoFlops) {
  auto p = Program::build(
      testing::oneOpGraph("Flatten", {}, {testing::randomTensor({2, 3}, 1)}, 1),
      ops::registry());
  EXPECT_EQ(p->flopsPerSample(0), 0);
}

TEST(FlattenTest, RejectsAxisOutOfRange) {
  for (int64_t axis : {5, -5}) {
    testing::expectThrowWith<AttrError>(
        [&] {
          testing::runOp("Flatten", axisAttr(axis),
                         {testing::randomTensor({2, 3, 4, 4}, 1)});
        },
        "attribute 'axis': must be in [-4, 4] for input 'src' [2,3,4,4], found " +
            std::to_string(axis));
  }
}

}  // namespace
}  // namespace tapeflow
