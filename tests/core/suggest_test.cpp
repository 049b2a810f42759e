// tests/core/suggest_test.cpp - edit distance and "did you mean"
// (core/suggest).
#include "core/suggest.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tapeflow {
namespace {

TEST(SuggestTest, EditDistanceCountsEdits) {
  EXPECT_EQ(editDistance("", ""), 0u);
  EXPECT_EQ(editDistance("", "abc"), 3u);
  EXPECT_EQ(editDistance("abc", ""), 3u);
  EXPECT_EQ(editDistance("lr", "lr"), 0u);
  EXPECT_EQ(editDistance("lrr", "lr"), 1u);  // deletion
  EXPECT_EQ(editDistance("lr", "lrr"), 1u);  // insertion
  EXPECT_EQ(editDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(editDistance("flaw", "lawn"), 2u);
}

TEST(SuggestTest, EditDistanceCountsATranspositionAsOneEdit) {
  EXPECT_EQ(editDistance("Rleu", "Relu"), 1u);
  EXPECT_EQ(editDistance("inptu", "input"), 1u);
  // Optimal string alignment: a transposed pair is not edited again.
  EXPECT_EQ(editDistance("ca", "abc"), 3u);
}

TEST(SuggestTest, EditDistanceIgnoresCase) {
  EXPECT_EQ(editDistance("relu", "Relu"), 0u);
  EXPECT_EQ(editDistance("CONV2D", "Conv2D"), 0u);
  EXPECT_EQ(editDistance("maxpol", "MaxPool"), 1u);
}

TEST(SuggestTest, EditDistanceIsSymmetric) {
  const std::vector<std::string> words = {
      "", "a", "relu", "Rleu", "softmax", "SoftmaxCrossEntropy", "lr"};
  for (const std::string& a : words)
    for (const std::string& b : words)
      EXPECT_EQ(editDistance(a, b), editDistance(b, a)) << a << " " << b;
}

TEST(SuggestTest, ClosestNamesSortsByDistanceKeepingOrderOnTies) {
  const std::vector<std::string> names = {"Relu", "Elu", "Gelu", "Tanh"};
  // "elu": Elu 0, Relu 1, Gelu 1 (ties in list order), Tanh 4.
  EXPECT_EQ(closestNames("elu", names, 3),
            (std::vector<std::string>{"Elu", "Relu", "Gelu"}));
  EXPECT_EQ(closestNames("elu", names, 10).size(), 4u);
  EXPECT_EQ(closestNames("elu", names, 10, 1),
            (std::vector<std::string>{"Elu", "Relu", "Gelu"}));
  EXPECT_TRUE(closestNames("elu", names, 0).empty());
  EXPECT_TRUE(closestNames("xyzzy", {}, 3).empty());
}

TEST(SuggestTest, DidYouMeanOffersOnlyNamesWithinTwoEdits) {
  const std::vector<std::string> fields = {"optimizer", "lr", "momentum"};
  EXPECT_EQ(didYouMean("lrr", fields), " (did you mean 'lr'?)");
  EXPECT_EQ(didYouMean("momentun", fields), " (did you mean 'momentum'?)");
  EXPECT_EQ(didYouMean("lrr", fields, "--"), " (did you mean '--lr'?)");
  EXPECT_EQ(didYouMean("batch", fields), "");
  EXPECT_EQ(didYouMean("anything", {}), "");
}

}  // namespace
}  // namespace tapeflow
