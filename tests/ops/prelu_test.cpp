// tests/ops/prelu_test.cpp - PRelu against a naive loop for every slope
// shape (one, per channel, ONNX-style broadcast), gradients of src and slope
// (finite differences and a literal), a blocked src, rejections.
#include <gtest/gtest.h>

#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_math.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

struct Case {
  Dims src, slope, view;  // view: the slope with src's rank
};

const Case kCases[] = {{{2, 3, 4, 5}, {3}, {1, 3, 1, 1}},
                       {{3, 13}, {13}, {1, 13}},
                       {{2, 13, 3, 3}, {13, 1, 1}, {1, 13, 1, 1}},
                       {{2, 5, 3}, {1}, {1, 1, 1}},
                       {{2, 4, 6}, {6}, {1, 1, 6}},
                       {{2, 3, 3}, {3}, {1, 3, 1}}};  // [C] wins over last dim

TEST(PReluTest, ForwardMatchesReference) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(dimsStr(c.src) + " slope " + dimsStr(c.slope));
    HostTensor x = testing::randomTensor(c.src, 3);
    HostTensor slope = testing::randomTensor(c.slope, 4, -0.5f, 0.5f);
    auto y = testing::runOp("PRelu", {}, {x, slope});
    ASSERT_EQ(y.size(), 1u);
    EXPECT_EQ(y[0].dims, c.src);
    testing::expectClose(y[0].data,
                         reference::prelu(x.data, c.src, slope.data, c.view),
                         1e-6, "forward");
  }
}

TEST(PReluTest, LiteralGradients) {
  HostTensor x{{1, 2, 2}, {-1.f, 2.f, -3.f, 4.f}};
  HostTensor slope{{2}, {0.1f, 0.5f}};
  testing::OneOpPlan p("PRelu", {}, {x, slope}, Mode::Training);
  auto g = p.gradients({0, 1}, {1.f, 1.f, 2.f, 1.f});
  testing::expectClose(g[0], {0.1f, 1.f, 1.f, 1.f}, 1e-6, "d src");
  testing::expectClose(g[1], {-1.f, -6.f}, 1e-6, "d slope");  // sum dy*min(x,0)
}

TEST(PReluTest, GradientMatchesFiniteDifferences) {
  SampleCase opts;
  opts.kink = 0.f;
  opts.kinkRange = 0.02f;
  for (const Case& c : kCases) {
    SCOPED_TRACE(dimsStr(c.src) + " slope " + dimsStr(c.slope));
    HostTensor x = testing::randomTensor(c.src, 5);
    HostTensor slope = testing::randomTensor(c.slope, 6, 0.1f, 0.6f);
    auto r = testing::gradCheck("PRelu", {}, {x, slope}, opts);
    EXPECT_TRUE(r.ok) << r.report;
    EXPECT_GT(r.checked, int(x.data.size()) / 2);
  }
}

TEST(PReluTest, BlockedSrcMatchesPlain) {
  HostTensor x = testing::randomTensor({2, 13, 3, 3}, 7);
  HostTensor slope = testing::randomTensor({13}, 8, 0.1f, 0.6f);
  std::vector<float> seed = testing::randomTensor(x.dims, 9).data;
  auto tag = dnnl::memory::format_tag::nChw8c;
  auto plain = testing::runWithLayout("PRelu", {}, {x, slope}, {false, false},
                                      tag, seed);
  auto blocked = testing::runWithLayout("PRelu", {}, {x, slope}, {true, false},
                                        tag, seed);
  testing::expectClose(blocked.output, plain.output, 1e-6, "forward");
  testing::expectClose(blocked.grads[0], plain.grads[0], 1e-6, "d src");
  testing::expectClose(blocked.grads[1], plain.grads[1], 1e-5, "d slope");
}

TEST(PReluTest, RejectsSlopeThatDoesNotFit) {
  testing::expectRejects<ShapeError>(
      "PRelu", {}, {{2, 3, 4}, {5}},
      "input 'slope' [5] does not fit input 'src' [2,3,4]");
  testing::expectRejects<ShapeError>(
      "PRelu", {}, {{2, 3}, {2, 2, 3}}, "does not fit");
}

TEST(PReluTest, RejectsScalarSrc) {
  testing::expectRejects<ShapeError>("PRelu", {}, {{}, {1}},
                                     "input 'src' [] must have rank >= 1");
}

}  // namespace
}  // namespace tapeflow
