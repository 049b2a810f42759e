// core/suggest.h - "did you mean" suggestions: the edit distance between
// names and the closest known names to a misspelt one. Used for unknown ops,
// unknown fields of graph and solver files, and unknown flags.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace tapeflow {

/// Optimal string alignment distance (Levenshtein plus adjacent
/// transpositions), case-insensitive for ASCII letters: "Rleu" is one edit
/// from "Relu", "lr" none from "LR".
size_t editDistance(std::string_view a, std::string_view b);

/// Up to `n` of `names` closest to `word` (ties keep the order of `names`),
/// leaving out names more than `maxDistance` edits away.
std::vector<std::string> closestNames(
    std::string_view word, const std::vector<std::string>& names, size_t n,
    size_t maxDistance = std::numeric_limits<size_t>::max());

/// " (did you mean '<prefix><name>'?)" for the closest of `names` within 2
/// edits of `word`, or "" when none is that close.
std::string didYouMean(std::string_view word,
                       const std::vector<std::string>& names,
                       std::string_view prefix = "");

}  // namespace tapeflow
