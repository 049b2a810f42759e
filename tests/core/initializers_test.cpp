// tests/core/initializers_test.cpp - the initializer table: every name and
// alias passes validation and fills a parameter as its formula says;
// anything else is rejected with the table's names.
#include "core/initializers.h"

#include "core/param_store.h"
#include "core/program.h"
#include "frontends/pbtxt/pbtxt_loader.h"
#include "ops/registry.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

namespace tapeflow {
namespace {

/// A graph with one [8, 4, 3, 3] param (fan_in 36, fan_out 72) initialised
/// by `init` (the body of `init { ... }`).
std::shared_ptr<const Program> graphWith(const std::string& init) {
  return Program::build(
      parseGraphText("input { name: \"x\" shape: [-1, 4] }\n"
                     "param { name: \"w\" shape: [8, 4, 3, 3] init { " +
                         init +
                         " } }\n"
                         "node { name: \"r\" op: \"Relu\" input: \"x\" output: "
                         "\"y\" }\n"
                         "output: \"y\"\n",
                     "init.pbtxt"),
      ops::registry());
}

TEST(InitializersTest, NamesAndAliasesAreUnique) {
  std::set<std::string> seen;
  for (const InitializerInfo& i : initializers()) {
    EXPECT_TRUE(seen.insert(i.name).second) << i.name;
    if (i.alias) {
      EXPECT_TRUE(seen.insert(i.alias).second) << i.alias;
    }
    EXPECT_NE(std::string(i.doc), "") << i.name;
  }
}

TEST(InitializersTest, FindsNamesAndAliasesOnly) {
  ASSERT_NE(findInitializer("xavier_uniform"), nullptr);
  EXPECT_EQ(findInitializer("glorot_uniform"),
            findInitializer("xavier_uniform"));
  EXPECT_EQ(findInitializer("kaiming_normal")->kind, InitKind::HeNormal);
  EXPECT_EQ(findInitializer("lecun_uniform")->kind, InitKind::LecunUniform);
  EXPECT_EQ(findInitializer("glorot"), nullptr);
  EXPECT_EQ(findInitializer(""), nullptr);
  EXPECT_EQ(findInitializer("Zeros"), nullptr);  // names are case-sensitive
}

TEST(InitializersTest, NamesListTheTableWithoutAliases) {
  EXPECT_EQ(initializerNames(),
            "zeros, ones, constant, uniform, normal, xavier_uniform, "
            "xavier_normal, he_uniform, he_normal, lecun_uniform, orthogonal, "
            "truncated_normal");
}

TEST(InitializersTest, EveryNameAndAliasValidatesAndFillsWithinItsRange) {
  const double fanIn = 36, fanOut = 72;
  for (const InitializerInfo& info : initializers()) {
    for (const char* name : {info.name, info.alias}) {
      if (!name) continue;
      SCOPED_TRACE(name);
      std::string init = "kind: \"" + std::string(name) +
                         "\" value: 0.5 low: 2 high: 3 mean: 10 stddev: 0.1";
      ParamStore store(graphWith(init));
      store.initialize(7);
      const float* w = store.data(0);
      const int64_t n = store.size(0);
      float lo = *std::min_element(w, w + n), hi = *std::max_element(w, w + n);
      double sum = 0;
      for (int64_t i = 0; i < n; ++i) sum += w[i];
      double mean = sum / double(n);
      switch (info.kind) {
        case InitKind::Zeros:
          EXPECT_EQ(lo, 0.f);
          EXPECT_EQ(hi, 0.f);
          break;
        case InitKind::Ones:
          EXPECT_EQ(lo, 1.f);
          EXPECT_EQ(hi, 1.f);
          break;
        case InitKind::Constant:
          EXPECT_EQ(lo, 0.5f);
          EXPECT_EQ(hi, 0.5f);
          break;
        case InitKind::Uniform:
          EXPECT_GE(lo, 2.f);
          EXPECT_LE(hi, 3.f);
          EXPECT_LT(lo, hi);
          break;
        case InitKind::Normal:
          EXPECT_NEAR(mean, 10.0, 0.05);
          break;
        case InitKind::XavierUniform: {
          double a = std::sqrt(6 / (fanIn + fanOut));
          EXPECT_GE(lo, -a);
          EXPECT_LE(hi, a);
          EXPECT_GT(hi, 0.5 * a);
          break;
        }
        case InitKind::HeUniform: {
          double a = std::sqrt(6 / fanIn);
          EXPECT_GE(lo, -a);
          EXPECT_LE(hi, a);
          EXPECT_GT(hi, 0.5 * a);
          break;
        }
        case InitKind::LecunUniform: {
          double a = 2.4 / fanIn;
          EXPECT_GE(lo, -a);
          EXPECT_LE(hi, a);
          EXPECT_GT(hi, 0.5 * a);
          break;
        }
        case InitKind::TruncatedNormal:  // default bounds [-2, 2]
          EXPECT_GE(lo, -2.f);
          EXPECT_LE(hi, 2.f);
          break;
        case InitKind::Orthogonal: {  // rows of [8, 36] are unit vectors
          double sq = 0;
          for (int64_t i = 0; i < 36; ++i) sq += double(w[i]) * w[i];
          EXPECT_NEAR(sq, 1.0, 1e-5);
          break;
        }
        case InitKind::XavierNormal:
        case InitKind::HeNormal: {
          double var = info.kind == InitKind::HeNormal ? 2 / fanIn
                                                       : 2 / (fanIn + fanOut);
          double sq = 0;
          for (int64_t i = 0; i < n; ++i) sq += (w[i] - mean) * (w[i] - mean);
          EXPECT_NEAR(sq / double(n), var, 0.25 * var);
          break;
        }
      }
    }
  }
}

TEST(InitializersTest, UnknownNameIsRejectedWithTheTable) {
  try {
    graphWith("kind: \"glorot\"");
    FAIL() << "accepted";
  } catch (const ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown initializer 'glorot'; "
                                         "known: " +
                                         initializerNames()),
              std::string::npos)
        << e.what();
    EXPECT_EQ(e.loc().line, 2);
  }
}

}  // namespace
}  // namespace tapeflow
