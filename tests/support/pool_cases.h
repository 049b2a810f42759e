// tests/support/pool_cases.h - the windows MaxPool and AvgPool are both
// checked against the reference on: plain, strided, explicit pads, one
// channel, and SAME with channels not a multiple of 8 and odd pad totals.
#pragma once

#include <array>
#include <map>
#include <string>
#include <vector>

#include "core/graph.h"
#include "tests/support/reference_pool.h"

namespace tapeflow::testing {

/// A pooling input shape, the attributes for it, and the window they mean.
struct PoolCase {
  Dims dims;
  std::map<std::string, AttrValue> attrs;
  reference::PoolWindow window;
};

inline std::vector<PoolCase> poolCases() {
  auto ints = [](std::vector<int64_t> v) {
    return AttrValue::ofInts(std::move(v));
  };
  std::vector<PoolCase> cases = {
      {{2, 3, 6, 6}, {{"kernel", ints({2, 2})}}, {2, 2, 2, 2}},
      {{2, 16, 9, 8},
       {{"kernel", ints({3, 3})}, {"stride", ints({2, 2})}},
       {3, 3, 2, 2}},
      {{1, 5, 6, 7},
       {{"kernel", ints({2, 3})},
        {"stride", ints({1, 2})},
        {"padding", AttrValue::ofString("EXPLICIT")},
        {"pads", ints({1, 0, 1, 2})}},
       {2, 3, 1, 2, 1, 0, 1, 2}},
      // One channel: run on nhwc views of the plain buffers.
      {{3, 1, 8, 9},
       {{"kernel", ints({3, 2})},
        {"stride", ints({2, 2})},
        {"padding", AttrValue::ofString("EXPLICIT")},
        {"pads", ints({1, 0, 0, 1})}},
       {3, 2, 2, 2, 1, 0, 0, 1}},
  };
  // SAME, channels 13 (not a multiple of 8), odd totals on both axes.
  for (auto [h, w, k, s] :
       {std::array<int64_t, 4>{5, 5, 3, 2}, std::array<int64_t, 4>{7, 10, 4, 3},
        std::array<int64_t, 4>{6, 6, 2, 1}}) {
    auto [top, bottom] = reference::samePads(h, k, s);
    auto [left, right] = reference::samePads(w, k, s);
    cases.push_back({{2, 13, h, w},
                     {{"kernel", ints({k, k})},
                      {"stride", ints({s, s})},
                      {"padding", AttrValue::ofString("SAME")}},
                     {k, k, s, s, top, left, bottom, right}});
  }
  return cases;
}

}  // namespace tapeflow::testing
