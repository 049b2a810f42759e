// tools/analysis/dot.cpp - DOT writer. The layout is the one of
// boost::write_graphviz for a bidirectional adjacency_list (vertices in
// index order, edges in insertion order), which this file replaced, so that
// `graph --dot` output did not change.
#include "tools/analysis/dot.h"

namespace tapeflow {
namespace {

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string writeDot(const DotGraph& g) {
  std::string out = "digraph G {\n";
  out += "graph [rankdir=TB, label=" + quote(g.name) +
         "];\nnode [fontname=\"Helvetica\", fontsize=10];\n"
         "edge [fontname=\"Helvetica\", fontsize=8];\n";
  for (size_t v = 0; v < g.vertices.size(); ++v)
    out += std::to_string(v) + "[label=" + quote(g.vertices[v].label) +
           ", shape=" + g.vertices[v].shape + "];\n";
  for (size_t e = 0; e < g.edges.size(); ++e) {
    out += std::to_string(g.edges[e].first) + "->" +
           std::to_string(g.edges[e].second) + " ";
    if (e < g.edgeLabels.size() && !g.edgeLabels[e].empty())
      out += "[label=" + quote(g.edgeLabels[e]) + "]";
    out += ";\n";
  }
  return out + "}\n";
}

}  // namespace tapeflow
