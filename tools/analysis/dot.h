// tools/analysis/dot.h - Graphviz DOT text of a labelled directed graph
// (`tapeflow graph --dot`).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace tapeflow {

/// A labelled graph for Graphviz output.
struct DotGraph {
  struct Vertex {
    std::string label;
    std::string shape;  ///< "box", "ellipse", ...
  };
  std::vector<Vertex> vertices;
  std::vector<std::pair<int, int>> edges;
  std::vector<std::string> edgeLabels;  ///< one per edge ("" = no label)
  std::string name;
};

/// `digraph G { ... }`: the graph attributes (rankdir, the name as label,
/// fonts), one line per vertex (`3[label="...", shape=box];`) in index
/// order, then one per edge (`0->3 [label="..."];`) in insertion order.
/// Labels are quoted with `"` and `\` escaped.
std::string writeDot(const DotGraph& g);

}  // namespace tapeflow
