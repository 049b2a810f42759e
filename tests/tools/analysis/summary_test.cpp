// tests/tools/analysis/summary_test.cpp - `tapeflow summary`: a parameter
// used by several nodes is counted once and its later users are marked
// "(shared with <first user>)".
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "frontends/pbtxt/pbtxt_loader.h"
#include "ops/registry.h"
#include "tools/analysis/model_report.h"

namespace tapeflow {
namespace {

std::shared_ptr<const Program> tiedGraph() {
  return Program::build(
      parseGraphText(R"(
input { name: "x" shape: [-1, 8] }
param { name: "w" shape: [8, 8] init { kind: "xavier_uniform" } }
param { name: "b" shape: [8] init { kind: "zeros" } }
node { name: "fc1" op: "Linear" input: ["x", "w", "b"] output: "h" }
node { name: "act" op: "Relu" input: "h" output: "a" }
node { name: "fc2" op: "Linear" input: ["a", "w"] output: "y" }
node { name: "fc3" op: "Linear" input: ["y", "w", "b"] output: "z" }
output: "z"
)",
                     "tied.pbtxt"),
      ops::registry());
}

/// The table line that starts with `node`.
std::string row(const std::string& table, const std::string& node) {
  std::istringstream in(table);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(node + " (", 0) == 0) return line;
  return "";
}

TEST(SummaryTest, SharedParamsAreMarkedAndCountedOnce) {
  auto p = tiedGraph();
  std::string table = summaryTable(*p);
  EXPECT_NE(row(table, "fc1").find(" 72 "), std::string::npos) << table;
  EXPECT_EQ(row(table, "fc1").find("shared"), std::string::npos) << table;
  EXPECT_EQ(row(table, "act").find("shared"), std::string::npos) << table;
  EXPECT_NE(row(table, "fc2").find("(shared with fc1)"), std::string::npos)
      << table;
  EXPECT_NE(row(table, "fc3").find("(shared with fc1)"), std::string::npos)
      << table;
  EXPECT_NE(table.find("Total params: 72\n"), std::string::npos) << table;
  auto shared = sharedParamsPerNode(*p);
  int marked = 0;
  for (const auto& s : shared) marked += int(s.size());
  EXPECT_EQ(marked, 2);
}

TEST(SummaryTest, ShippedStyleGraphsHaveNoMarks) {
  auto p = Program::build(
      parseGraphText(R"(
input { name: "x" shape: [-1, 8] }
param { name: "w1" shape: [4, 8] init { kind: "xavier_uniform" } }
param { name: "w2" shape: [2, 4] init { kind: "xavier_uniform" } }
node { name: "fc1" op: "Linear" input: ["x", "w1"] output: "h" }
node { name: "fc2" op: "Linear" input: ["h", "w2"] output: "y" }
output: "y"
)",
                     "plain.pbtxt"),
      ops::registry());
  EXPECT_EQ(summaryTable(*p).find("shared"), std::string::npos);
}

}  // namespace
}  // namespace tapeflow
