// tests/core/initializers_stats_test.cpp - the parameterised initializers
// (kaiming with a/nonlinearity/mode, xavier with gain, a bias taking its
// weight's fans, orthogonal, truncated normal) against their formulas with
// fixed seeds: exact bounds for uniform kinds, sample mean and std within a
// tolerance derived from the sample size for normal kinds; and the load-time
// rejections of bad fields.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "core/initializers.h"
#include "core/param_store.h"
#include "core/program.h"
#include "frontends/pbtxt/pbtxt_loader.h"
#include "ops/registry.h"

namespace tapeflow {
namespace {

/// Params "w" of `shape` with `init` and "bias" [shape[0]] with `biasInit`
/// (the bodies of `init { ... }`), initialised with seed 11.
ParamStore storeWith(const std::string& shape, const std::string& init,
                     const std::string& biasInit = "kind: \"zeros\"") {
  ParamStore store(Program::build(
      parseGraphText("input { name: \"x\" shape: [-1, 4] }\n"
                     "param { name: \"w\" shape: " + shape + " init { " + init +
                         " } }\n"
                     "param { name: \"bias\" shape: [8] init { " + biasInit +
                         " } }\n"
                     "node { name: \"r\" op: \"Relu\" input: \"x\" output: "
                     "\"y\" }\n"
                     "output: \"y\"\n",
                     "init.pbtxt"),
      ops::registry()));
  store.initialize(11);
  return store;
}

struct Stats {
  double lo, hi, mean, sd;
};

Stats stats(const float* w, int64_t n) {
  Stats s{*std::min_element(w, w + n), *std::max_element(w, w + n), 0, 0};
  for (int64_t i = 0; i < n; ++i) s.mean += w[i];
  s.mean /= double(n);
  for (int64_t i = 0; i < n; ++i) s.sd += (w[i] - s.mean) * (w[i] - s.mean);
  s.sd = std::sqrt(s.sd / double(n));
  return s;
}

/// Uniform in [-bound, bound]: inside exactly, and reaching 95% of it.
void expectUniform(const float* w, int64_t n, double bound) {
  Stats s = stats(w, n);
  EXPECT_GE(s.lo, -bound);
  EXPECT_LE(s.hi, bound);
  EXPECT_GT(s.hi, 0.95 * bound);
  EXPECT_LT(s.lo, -0.95 * bound);
}

/// Normal with mean and sd: 5 standard errors (sd/sqrt(n) for the mean,
/// sd/sqrt(2n) for the std).
void expectNormal(const float* w, int64_t n, double mean, double sd) {
  Stats s = stats(w, n);
  EXPECT_NEAR(s.mean, mean, 5 * sd / std::sqrt(double(n)));
  EXPECT_NEAR(s.sd, sd, 5 * sd / std::sqrt(2.0 * double(n)));
}

// [8, 64, 4, 4]: fan_in 1024, fan_out 128, 8192 samples.
const char* kConv = "[8, 64, 4, 4]";

TEST(InitializerStatsTest, KaimingDefaultsAreHeBitForBit) {
  ParamStore he = storeWith(kConv, "kind: \"he_uniform\"");
  ParamStore k = storeWith(kConv,
                           "kind: \"kaiming_uniform\" a: 0 nonlinearity: "
                           "\"leaky_relu\" mode: \"fan_in\"");
  Rng rng(11);
  const float a = std::sqrt(6.f / 1024.f);  // the formula he_uniform shipped
  for (int64_t i = 0; i < he.size(0); ++i) {
    float expected = -a + (a - -a) * rng.uniform();
    ASSERT_EQ(he.data(0)[i], expected) << i;
    ASSERT_EQ(k.data(0)[i], expected) << i;
  }
  ParamStore hn = storeWith(kConv, "kind: \"he_normal\"");
  ParamStore kn = storeWith(kConv, "kind: \"kaiming_normal\" nonlinearity: "
                                   "\"leaky_relu\"");
  EXPECT_TRUE(std::equal(hn.data(0), hn.data(0) + hn.size(0), kn.data(0)));
}

TEST(InitializerStatsTest, KaimingUniformBoundFollowsGainAndMode) {
  struct Case {
    const char* init;
    double gain2, fan;
  } cases[] = {
      {"nonlinearity: \"relu\"", 2, 1024},
      {"nonlinearity: \"relu\" mode: \"fan_out\"", 2, 128},
      {"nonlinearity: \"linear\"", 1, 1024},
      {"nonlinearity: \"sigmoid\"", 1, 1024},
      {"nonlinearity: \"tanh\"", 25.0 / 9, 1024},
      {"nonlinearity: \"selu\"", 9.0 / 16, 1024},
      {"a: 0.2", 2 / 1.04, 1024},
      {"a: 0.2 nonlinearity: \"leaky_relu\" mode: \"fan_out\"", 2 / 1.04, 128},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.init);
    ParamStore s = storeWith(kConv, "kind: \"kaiming_uniform\" " +
                                        std::string(c.init));
    expectUniform(s.data(0), s.size(0), std::sqrt(c.gain2 * 3 / c.fan) * (1 + 1e-6));
    ParamStore n = storeWith(kConv, "kind: \"kaiming_normal\" " +
                                        std::string(c.init));
    expectNormal(n.data(0), n.size(0), 0, std::sqrt(c.gain2 / c.fan));
  }
}

TEST(InitializerStatsTest, PyTorchLinearDefaultIsOneOverSqrtFanIn) {
  // nn.Linear(100, 8): kaiming_uniform(a = sqrt(5)) weight, and a bias with
  // the same bound 1 / sqrt(fan_in), fan_in taken from the weight.
  const std::string a = "kind: \"kaiming_uniform\" a: 2.2360679775";
  ParamStore s = storeWith("[8, 100]", a, a + " weight: \"w\"");
  expectUniform(s.data(0), s.size(0), 0.1 * (1 + 1e-6));
  // Eight samples only: bounded, and not the bias's own fan (1 / sqrt(8)).
  Stats b = stats(s.data(1), s.size(1));
  EXPECT_GE(b.lo, -0.1 * (1 + 1e-6));
  EXPECT_LE(b.hi, 0.1 * (1 + 1e-6));
  ParamStore f = storeWith("[8, 100]", a, a + " fan_in: 400");
  Stats fb = stats(f.data(1), f.size(1));
  EXPECT_LE(std::max(-fb.lo, fb.hi), 0.05 * (1 + 1e-6));
}

TEST(InitializerStatsTest, XavierScalesByGain) {
  ParamStore u = storeWith(kConv, "kind: \"xavier_uniform\" gain: 2.5");
  expectUniform(u.data(0), u.size(0), 2.5 * std::sqrt(6.0 / 1152) * (1 + 1e-6));
  ParamStore n = storeWith(kConv, "kind: \"glorot_normal\" gain: 0.5");
  expectNormal(n.data(0), n.size(0), 0, 0.5 * std::sqrt(2.0 / 1152));
}

/// Max |(W W^T)_ij - g^2 delta_ij| over the smaller Gram matrix of W [r, c].
double orthogonalityError(const float* w, int64_t r, int64_t c, double g) {
  const bool rowsOrth = r <= c;
  const int64_t k = rowsOrth ? r : c, len = rowsOrth ? c : r;
  double worst = 0;
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j) {
      double dot = 0;
      for (int64_t t = 0; t < len; ++t)
        dot += rowsOrth ? double(w[i * c + t]) * w[j * c + t]
                        : double(w[t * c + i]) * w[t * c + j];
      worst = std::max(worst, std::abs(dot - (i == j ? g * g : 0.0)));
    }
  return worst;
}

TEST(InitializerStatsTest, OrthogonalIsOrthogonalInBothOrientations) {
  ParamStore wide = storeWith("[8, 4, 3, 3]", "kind: \"orthogonal\"");
  EXPECT_LT(orthogonalityError(wide.data(0), 8, 36, 1), 1e-5);
  ParamStore tall = storeWith("[8, 3]", "kind: \"orthogonal\" gain: 2");
  EXPECT_LT(orthogonalityError(tall.data(0), 8, 3, 2), 4e-5);
  ParamStore square = storeWith("[8, 8]", "kind: \"orthogonal\"");
  EXPECT_LT(orthogonalityError(square.data(0), 8, 8, 1), 1e-5);
  // Not a permutation or the identity: entries spread over many values.
  Stats s = stats(square.data(0), 64);
  EXPECT_GT(s.sd, 0.2);
}

TEST(InitializerStatsTest, TruncatedNormalStaysInBoundsWithItsMean) {
  ParamStore s = storeWith(kConv,
                           "kind: \"truncated_normal\" mean: 0.5 stddev: 1 "
                           "a: -0.2 b: 1.5");
  Stats st = stats(s.data(0), s.size(0));
  EXPECT_GE(st.lo, -0.2);
  EXPECT_LE(st.hi, 1.5);
  EXPECT_LT(st.lo, -0.19);
  EXPECT_GT(st.hi, 1.49);
  // Mean of N(0.5, 1) truncated to [-0.2, 1.5]: mu + (phi(al) - phi(be)) / Z.
  auto pdf = [](double x) { return std::exp(-x * x / 2) / std::sqrt(2 * M_PI); };
  auto cdf = [](double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); };
  double al = -0.7, be = 1.0, z = cdf(be) - cdf(al);
  double mean = 0.5 + (pdf(al) - pdf(be)) / z;
  EXPECT_NEAR(st.mean, mean, 5 * 1.0 / std::sqrt(double(s.size(0))));
  // torch's defaults: a = -2, b = 2, absolute; sd of N(0,1) on [-2, 2].
  ParamStore d = storeWith(kConv, "kind: \"truncated_normal\" stddev: 1");
  double zd = cdf(2) - cdf(-2);
  double sd = std::sqrt(1 - 2 * 2 * pdf(2) / zd);
  Stats sdst = stats(d.data(0), d.size(0));
  EXPECT_GE(sdst.lo, -2.0);
  EXPECT_LE(sdst.hi, 2.0);
  expectNormal(d.data(0), d.size(0), 0, sd);
}

void expectRejected(const std::string& init, const std::string& message) {
  SCOPED_TRACE(init);
  try {
    storeWith(kConv, init);
    FAIL() << "accepted";
  } catch (const ParseError& e) {
    EXPECT_NE(std::string(e.what()).find(message), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("init.pbtxt:2:"), std::string::npos)
        << e.what();
  }
}

TEST(InitializerStatsTest, BadFieldsAreRejectedAtLoad) {
  expectRejected("kind: \"kaiming_uniform\" mode: \"fan_inn\"",
                 "param 'w': init 'kaiming_uniform': unknown mode 'fan_inn' "
                 "(did you mean 'fan_in'?); known: fan_in, fan_out");
  expectRejected("kind: \"he_normal\" nonlinearity: \"rleu\"",
                 "unknown nonlinearity 'rleu' (did you mean 'relu'?)");
  expectRejected("kind: \"xavier_uniform\" gain: -1",
                 "gain must be a finite number >= 0, found -1");
  expectRejected("kind: \"truncated_normal\" stddev: 1 a: 3 b: 1",
                 "bounds need a < b, found a = 3");
  expectRejected("kind: \"truncated_normal\"", "needs stddev > 0");
  expectRejected("kind: \"kaiming_uniform\" gain: 2",
                 "has no field 'gain' (it takes: a nonlinearity mode weight)");
  expectRejected("kind: \"zeros\" weight: \"w\"", "has no field 'weight'");
  expectRejected("kind: \"kaiming_uniform\" weight: \"bais\"",
                 "weight 'bais' is not another param (did you mean 'bias'?)");
}

TEST(InitializerStatsTest, OrthogonalNeedsTwoDims) {
  try {
    storeWith(kConv, "kind: \"zeros\"", "kind: \"orthogonal\"");
    FAIL() << "accepted";
  } catch (const ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("param 'bias': init 'orthogonal': "
                                         "needs a param of 2 or more dims, "
                                         "found [8]"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace tapeflow
