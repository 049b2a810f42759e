// tests/ops/dropout2d_test.cpp - Dropout2d: whole channels kept (scaled) or
// zeroed, identity in inference, the same mask for the same step and a new
// one for the next, gradients through the mask, rejections.
#include <gtest/gtest.h>

#include "ops/op_kit.h"
#include "tests/support/expect.h"
#include "tests/support/op_harness.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

/// Per (n, c): 0 if dropped, 1 if kept (scaled by 1 / (1 - rate)); fails if
/// a channel is partly dropped or scaled wrongly.
std::vector<int> channelMask(const std::vector<float>& x,
                             const std::vector<float>& y, int64_t nc,
                             int64_t s, float rate) {
  std::vector<int> mask;
  for (int64_t p = 0; p < nc; ++p) {
    bool kept = y[size_t(p * s)] != 0.f;
    for (int64_t k = 0; k < s; ++k) {
      float want = kept ? x[size_t(p * s + k)] / (1.f - rate) : 0.f;
      EXPECT_NEAR(y[size_t(p * s + k)], want, 1e-6f) << "channel " << p;
    }
    mask.push_back(kept);
  }
  return mask;
}

TEST(Dropout2dTest, DropsWholeChannelsAndRescales) {
  for (Dims dims : {Dims{8, 13, 3, 2}, Dims{16, 6, 5}}) {
    SCOPED_TRACE(dimsStr(dims));
    const float rate = 0.4f;
    HostTensor x = testing::randomTensor(dims, 2, 0.5f, 1.5f);  // no zeros
    auto y = testing::runOp("Dropout2d", {{"rate", AttrValue::ofFloat(rate)}},
                            {x}, /*training=*/true);
    const int64_t nc = dims[0] * dims[1], s = numel(dims) / nc;
    std::vector<int> mask = channelMask(x.data, y[0].data, nc, s, rate);
    int kept = 0;
    for (int m : mask) kept += m;
    // ~60% kept: within 5 binomial standard deviations of nc * 0.6.
    const double sd = std::sqrt(double(nc) * 0.24);
    EXPECT_NEAR(kept, 0.6 * double(nc), 5 * sd);
    // Inference: the identity.
    EXPECT_EQ(testing::runOp("Dropout2d", {}, {x}, false)[0].data, x.data);
  }
}

TEST(Dropout2dTest, MaskRepeatsPerStepAndChangesBetweenSteps) {
  const Dims dims = {4, 16, 2, 2};
  HostTensor x = testing::randomTensor(dims, 3, 0.5f, 1.5f);
  testing::OneOpPlan p("Dropout2d", {}, {x}, Mode::Training);
  p.plan->forward();
  std::vector<float> first = p.plan->readValue("out0");
  p.plan->forward();
  EXPECT_EQ(p.plan->readValue("out0"), first);  // same step: same mask
  p.plan->setStep(p.plan->step() + 1);
  p.plan->forward();
  EXPECT_NE(p.plan->readValue("out0"), first);
}

TEST(Dropout2dTest, GradientUsesTheSameMask) {
  const Dims dims = {3, 13, 2, 2};
  HostTensor x = testing::randomTensor(dims, 4, 0.5f, 1.5f);
  std::vector<float> seed = testing::randomTensor(dims, 5).data;
  for (bool blocked : {false, true}) {
    auto run = testing::runWithLayout("Dropout2d", {}, {x}, {blocked},
                                      dnnl::memory::format_tag::nChw8c, seed);
    for (size_t i = 0; i < seed.size(); ++i)
      EXPECT_NEAR(run.grads[0][i], seed[i] * run.output[i] / x.data[i], 1e-5f);
  }
  auto r = testing::gradCheck("Dropout2d", {}, {x}, SampleCase{});
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_EQ(r.checked, numel(dims));
}

TEST(Dropout2dTest, Rejects) {
  testing::expectRejects<AttrError>("Dropout2d",
                                    {{"rate", AttrValue::ofFloat(1.f)}},
                                    {{2, 3, 4}}, "must be in [0, 1), found 1");
  testing::expectRejects<ShapeError>("Dropout2d", {}, {{6}},
                                     "must have rank >= 2");
}

}  // namespace
}  // namespace tapeflow
