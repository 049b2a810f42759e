// tests/support/expect.h - GoogleTest checks the op tests share: values
// within a relative tolerance, and errors of a given type whose message
// contains a substring.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "tests/support/op_harness.h"

namespace tapeflow::testing {

/// Values within tol * max(1, |want|) (relative, absolute below 1); stops
/// at the first mismatch.
inline void expectClose(const std::vector<float>& got,
                        const std::vector<float>& want, double tol,
                        const std::string& what = "") {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < want.size(); ++i)
    ASSERT_LE(std::fabs(double(got[i]) - want[i]),
              tol * std::max(1.0, std::fabs(double(want[i]))))
        << what << " at flat index " << i << ": got " << got[i]
        << ", want " << want[i];
}

/// Expects `fn` to throw E with `substring` in its message.
template <class E>
void expectThrowWith(const std::function<void()>& fn,
                     const std::string& substring) {
  try {
    fn();
    ADD_FAILURE() << "expected an exception containing '" << substring << "'";
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(substring), std::string::npos)
        << e.what();
  } catch (const Error& e) {
    ADD_FAILURE() << "wrong error type: " << e.what();
  }
}

/// Expects runOp(op, attrs) on seeded random F32 inputs of `dims` to throw
/// E with `substring` in its message.
template <class E>
void expectRejects(const std::string& op,
                   const std::map<std::string, AttrValue>& attrs,
                   const std::vector<Dims>& dims,
                   const std::string& substring) {
  std::vector<HostTensor> in;
  uint64_t seed = 1;
  for (const Dims& d : dims) in.push_back(randomTensor(d, seed++));
  expectThrowWith<E>([&] { runOp(op, attrs, in); }, substring);
}

/// Named values (outputs, and gradients whose names start with "d ") of two
/// runs of one graph agree in norm: |got - want| <= tol |want| per name
/// (gradTol for gradients); an all-zero value fails, as it proves nothing.
inline void expectNormClose(const std::map<std::string, std::vector<float>>& got,
                            const std::map<std::string, std::vector<float>>& want,
                            double tol, double gradTol) {
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [name, w] : want) {
    const std::vector<float>& g = got.at(name);
    ASSERT_EQ(g.size(), w.size()) << name;
    double diff = 0, norm = 0;
    for (size_t i = 0; i < w.size(); ++i) {
      diff += (double(g[i]) - double(w[i])) * (double(g[i]) - double(w[i]));
      norm += double(w[i]) * double(w[i]);
    }
    EXPECT_GT(norm, 0) << name << " is all zeros: the comparison proves nothing";
    EXPECT_LE(std::sqrt(diff), (name.rfind("d ", 0) == 0 ? gradTol : tol) * std::sqrt(norm))
        << name << ": |diff| " << std::sqrt(diff) << ", |value| " << std::sqrt(norm);
  }
}

}  // namespace tapeflow::testing
