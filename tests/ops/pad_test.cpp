// tests/ops/pad_test.cpp - Pad against a naive loop, a golden, gradients
// (plain and blocked inputs), attribute validation.
#include <gtest/gtest.h>

#include "tests/support/expect.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_pool.h"

namespace tapeflow {
namespace {

using testing::HostTensor;
using Attrs = std::map<std::string, AttrValue>;

AttrValue ints(std::vector<int64_t> v) {
  return AttrValue::ofInts(std::move(v));
}

struct Config {
  Dims dims;
  std::vector<int64_t> pads;
  float value;
};

TEST(PadTest, ForwardMatchesReference) {
  std::vector<Config> configs = {
      {{2, 3, 4, 4}, {0, 0, 1, 2, 0, 0, 2, 1}, 0.f},
      {{3, 13}, {1, 0, 0, 2}, 0.5f},
      {{5}, {2, 3}, -1.f},
      {{2, 13, 3, 3}, {0, 2, 0, 0, 0, 3, 1, 0}, 2.f},  // channels too
      {{2, 3, 2, 2, 3}, {1, 0, 1, 0, 1, 0, 1, 0, 1, 0}, 7.f},
      {{4, 5}, {0, 0, 0, 0}, 3.f},  // no padding: a copy
  };
  for (const Config& c : configs) {
    SCOPED_TRACE(dimsStr(c.dims) + " pads " + ints(c.pads).str());
    HostTensor x = testing::randomTensor(c.dims, 8);
    Attrs attrs{{"pads", ints(c.pads)}, {"value", AttrValue::ofFloat(c.value)}};
    std::vector<float> want = reference::pad(x.data, c.dims, c.pads, c.value);
    Dims out(c.dims);
    for (size_t d = 0; d < out.size(); ++d)
      out[d] += c.pads[d] + c.pads[out.size() + d];
    for (bool training : {false, true}) {
      auto y = testing::runOp("Pad", attrs, {x}, training);
      ASSERT_EQ(y.size(), 1u);
      EXPECT_EQ(y[0].dims, out);
      EXPECT_EQ(y[0].data, want);
    }
  }
}

TEST(PadTest, Golden) {
  HostTensor x{{2, 2}, {1, 2, 3, 4}};
  auto y = testing::runOp(
      "Pad", {{"pads", ints({1, 0, 0, 1})}, {"value", AttrValue::ofFloat(9.f)}},
      {x});
  EXPECT_EQ(y[0].dims, (Dims{3, 3}));
  EXPECT_EQ(y[0].data, (std::vector<float>{9, 9, 9, 1, 2, 9, 3, 4, 9}));
}

TEST(PadTest, GradientIsTheInteriorOfTheUpstreamGradient) {
  HostTensor x{{1, 2}, {1, 2}};
  std::vector<float> seed{1, 2, 3, 4, 5, 6, 7, 8};  // d dst [2,4]
  auto r = testing::runWithLayout("Pad", {{"pads", ints({1, 1, 0, 1})}}, {x},
                                  {false}, dnnl::memory::format_tag::ab, seed);
  EXPECT_EQ(r.output, (std::vector<float>{0, 0, 0, 0, 0, 1, 2, 0}));
  EXPECT_EQ(r.grads[0], (std::vector<float>{6, 7}));
}

TEST(PadTest, GradientMatchesFiniteDifferences) {
  SampleCase opts;  // linear: no kink
  HostTensor x = testing::randomTensor({2, 5, 3}, 4);
  auto r = testing::gradCheck(
      "Pad",
      {{"pads", ints({1, 0, 2, 0, 3, 1})}, {"value", AttrValue::ofFloat(0.3f)}},
      {x}, opts);
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_EQ(r.checked, 30);
}

TEST(PadTest, AcceptsBlockedInput) {
  Dims dims{2, 13, 3, 4};
  std::vector<int64_t> pads{1, 0, 1, 2, 0, 3, 2, 1};
  Attrs attrs{{"pads", ints(pads)}, {"value", AttrValue::ofFloat(-2.f)}};
  HostTensor x = testing::randomTensor(dims, 3);
  std::vector<float> seed = testing::randomTensor({3, 16, 6, 7}, 4).data;
  auto tag8 = dnnl::memory::format_tag::nChw8c;
  auto plain = testing::runWithLayout("Pad", attrs, {x}, {false}, tag8, seed);
  auto blocked = testing::runWithLayout("Pad", attrs, {x}, {true}, tag8, seed);
  EXPECT_EQ(blocked.output, reference::pad(x.data, dims, pads, -2.f));
  EXPECT_EQ(blocked.output, plain.output);
  EXPECT_EQ(blocked.grads[0], plain.grads[0]);
}

template <class E>
void expectRejects(const Dims& dims, const Attrs& attrs,
                   const std::string& msg) {
  testing::expectRejects<E>("Pad", attrs, {dims}, msg);
}

TEST(PadTest, RejectsBadPads) {
  expectRejects<AttrError>({2, 3}, {}, "missing required attribute 'pads'");
  expectRejects<AttrError>(
      {2, 3}, {{"pads", ints({1, 1})}},
      "attribute 'pads': must have 4 values (all begins, "
      "then all ends) for input 'src' [2,3], found 2 [1,1]");
  expectRejects<AttrError>({2, 3}, {{"pads", ints({0, 1, -1, 0})}},
                           "attribute 'pads': must be >= 0, found [0,1,-1,0]");
}

}  // namespace
}  // namespace tapeflow
