// core/suggest.cpp - edit distance and closest names.
#include "core/suggest.h"

#include <algorithm>
#include <cctype>
#include <utility>

namespace tapeflow {
namespace {

/// Names within this many edits are offered as "did you mean".
constexpr size_t kMaxSuggestionEdits = 2;

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

}  // namespace

size_t editDistance(std::string_view a, std::string_view b) {
  // Three rows of the dynamic-programming table: i-2, i-1 and i.
  std::vector<size_t> prev2(b.size() + 1), prev(b.size() + 1),
      row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      row[j] = std::min({prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1]))
        row[j] = std::min(row[j], prev2[j - 2] + 1);
    }
    std::swap(prev2, prev);
    std::swap(prev, row);
  }
  return prev[b.size()];
}

std::vector<std::string> closestNames(std::string_view word,
                                      const std::vector<std::string>& names,
                                      size_t n, size_t maxDistance) {
  std::vector<std::pair<size_t, const std::string*>> scored;
  for (const std::string& name : names) {
    size_t d = editDistance(word, name);
    if (d <= maxDistance) scored.emplace_back(d, &name);
  }
  std::stable_sort(
      scored.begin(), scored.end(),
      [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && i < n; ++i)
    out.push_back(*scored[i].second);
  return out;
}

std::string didYouMean(std::string_view word,
                       const std::vector<std::string>& names,
                       std::string_view prefix) {
  std::vector<std::string> best =
      closestNames(word, names, 1, kMaxSuggestionEdits);
  if (best.empty()) return "";
  return " (did you mean '" + std::string(prefix) + best[0] + "'?)";
}

}  // namespace tapeflow
