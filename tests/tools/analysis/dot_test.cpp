// tests/tools/analysis/dot_test.cpp - the DOT writer: layout, escaping and
// edge order; `graph --dot` of lenet5_keras against the output of the
// boost::write_graphviz version it replaced (golden/lenet5_keras.dot).
#include "tools/analysis/dot.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "core/program.h"
#include "frontends/pbtxt/pbtxt_loader.h"
#include "ops/registry.h"
#include "tools/analysis/model_report.h"
#include "tests/support/tree_paths.h"

namespace tapeflow {
namespace {

TEST(DotTest, WritesVerticesThenEdgesInInsertionOrder) {
  DotGraph g;
  g.name = "say \"hi\"";
  g.vertices = {{"a\nRelu", "box"}, {"x", "ellipse"}, {"back\\slash", "note"}};
  // Not sorted by source, a double edge, an unlabelled edge.
  g.edges = {{1, 0}, {0, 2}, {1, 0}, {2, 0}};
  g.edgeLabels = {"first", "", "second", "q\"q"};
  EXPECT_EQ(writeDot(g),
            "digraph G {\n"
            "graph [rankdir=TB, label=\"say \\\"hi\\\"\"];\n"
            "node [fontname=\"Helvetica\", fontsize=10];\n"
            "edge [fontname=\"Helvetica\", fontsize=8];\n"
            "0[label=\"a\nRelu\", shape=box];\n"
            "1[label=\"x\", shape=ellipse];\n"
            "2[label=\"back\\\\slash\", shape=note];\n"
            "1->0 [label=\"first\"];\n"
            "0->2 ;\n"
            "1->0 [label=\"second\"];\n"
            "2->0 [label=\"q\\\"q\"];\n"
            "}\n");
}

TEST(DotTest, MissingEdgeLabelsAndAnEmptyGraph) {
  DotGraph g;
  g.vertices = {{"a", "box"}, {"b", "box"}};
  g.edges = {{0, 1}};
  EXPECT_NE(writeDot(g).find("\n0->1 ;\n}\n"), std::string::npos);
  EXPECT_EQ(writeDot(DotGraph{}),
            "digraph G {\n"
            "graph [rankdir=TB, label=\"\"];\n"
            "node [fontname=\"Helvetica\", fontsize=10];\n"
            "edge [fontname=\"Helvetica\", fontsize=8];\n"
            "}\n");
}

TEST(DotTest, ModelGraphMatchesTheGolden) {
  const std::string src = tapeflow::paths::sourceDir();
  auto program = Program::build(
      loadGraphFile(src + "/models/lenet5_keras.pbtxt"), ops::registry());
  std::ifstream in(src + "/tests/tools/analysis/golden/lenet5_keras.dot");
  ASSERT_TRUE(in.good());
  std::stringstream golden;
  golden << in.rdbuf();
  EXPECT_EQ(graphDot(*program), golden.str());
}

}  // namespace
}  // namespace tapeflow
