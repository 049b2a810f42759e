// tests/ops/gelu_test.cpp - Gelu (erf and tanh forms) against naive loops,
// literal values, gradients, the `approximate` choices.
#include <gtest/gtest.h>

#include "tests/support/op_harness.h"
#include "tests/support/reference_activation.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

std::map<std::string, AttrValue> approx(const char* v) {
  return {{"approximate", AttrValue::ofString(v)}};
}

TEST(GeluTest, ForwardMatchesReference) {
  for (Dims dims : {Dims{2, 3, 4, 5}, Dims{3, 13}})
    for (const char* mode : {"none", "tanh"}) {
      SCOPED_TRACE(dimsStr(dims) + " " + mode);
      HostTensor x = testing::randomTensor(dims, 3, -4.f, 4.f);
      auto y = testing::runOp("Gelu", approx(mode), {x});
      ASSERT_EQ(y.size(), 1u);
      EXPECT_EQ(y[0].dims, dims);
      std::vector<float> want = std::string(mode) == "none"
                                    ? reference::geluErf(x.data)
                                    : reference::geluTanh(x.data);
      ASSERT_EQ(y[0].data.size(), want.size());
      for (size_t i = 0; i < want.size(); ++i)
        EXPECT_NEAR(y[0].data[i], want[i], 1e-5f * (1 + std::fabs(want[i])));
    }
}

TEST(GeluTest, DefaultIsErfForm) {
  // gelu(1) = Phi(1) = 0.8413447; the tanh form gives 0.8411920.
  HostTensor x{{3}, {1.f, 0.f, -1.f}};
  auto exact = testing::runOp("Gelu", {}, {x});
  EXPECT_NEAR(exact[0].data[0], 0.8413447f, 2e-6f);
  EXPECT_EQ(exact[0].data[1], 0.f);
  EXPECT_NEAR(exact[0].data[2], -0.1586553f, 2e-6f);
  auto approximate = testing::runOp("Gelu", approx("tanh"), {x});
  EXPECT_NEAR(approximate[0].data[0], 0.8411920f, 2e-6f);
}

TEST(GeluTest, GradientMatchesFiniteDifferences) {
  SampleCase opts;  // smooth: no kink
  for (const char* mode : {"none", "tanh"}) {
    SCOPED_TRACE(mode);
    HostTensor x = testing::randomTensor({2, 11, 3, 3}, 9, -3.f, 3.f);
    auto r = testing::gradCheck("Gelu", approx(mode), {x}, opts);
    EXPECT_TRUE(r.ok) << r.report;
    EXPECT_EQ(r.checked, 198);
  }
}

TEST(GeluTest, RejectsUnknownApproximation) {
  HostTensor x = testing::randomTensor({2, 3}, 1);
  try {
    testing::runOp("Gelu", approx("erf"), {x});
    FAIL() << "expected an AttrError";
  } catch (const AttrError& e) {
    EXPECT_NE(
        std::string(e.what()).find("attribute 'approximate' must be one of"),
        std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("found \"erf\""), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace tapeflow
