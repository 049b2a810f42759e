// core/graph_analysis.cpp - Boost.Graph algorithms behind graph_analysis.h.
//
// BGL facts used here:
// - boost::topological_sort writes vertices in REVERSE topological order and
//   its tie-breaking follows DFS, not file order, so the order below is a
//   Kahn traversal over the BGL graph with a min-heap of ready vertices.
// - not_a_dag carries no vertex, so cycles are found with a DFS whose
//   back_edge visitor records the closing edge; the tree-edge predecessors
//   then spell out the cycle.
#include "core/graph_analysis.h"

#include <algorithm>
#include <functional>
#include <queue>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/depth_first_search.hpp>
#include <boost/graph/reverse_graph.hpp>

namespace tapeflow {
namespace {

using BGraph = boost::adjacency_list<boost::vecS, boost::vecS,
                                     boost::bidirectionalS>;
using Vertex = boost::graph_traits<BGraph>::vertex_descriptor;
using BEdge = boost::graph_traits<BGraph>::edge_descriptor;

BGraph makeGraph(int n, const EdgeList& edges) {
  BGraph g(n);
  for (auto [a, b] : edges) boost::add_edge(a, b, g);
  return g;
}

struct CycleVisitor : boost::default_dfs_visitor {
  std::vector<Vertex>* pred;
  std::vector<int>* cycle;
  void tree_edge(BEdge e, const BGraph& g) const {
    (*pred)[boost::target(e, g)] = boost::source(e, g);
  }
  void back_edge(BEdge e, const BGraph& g) const {
    if (!cycle->empty()) return;
    Vertex from = boost::source(e, g), to = boost::target(e, g);
    std::vector<int> path{static_cast<int>(from)};
    for (Vertex v = from; v != to; v = (*pred)[v])
      path.push_back(static_cast<int>((*pred)[v]));
    std::reverse(path.begin(), path.end());
    path.push_back(static_cast<int>(to));
    *cycle = path;
  }
};

struct MarkVisitor : boost::default_bfs_visitor {
  std::vector<bool>* seen;
  template <class V, class G>
  void discover_vertex(V v, const G&) const {
    (*seen)[v] = true;
  }
};

template <class G>
std::vector<bool> reachable(const G& g, int n, const std::vector<int>& roots) {
  std::vector<bool> seen(n, false);
  std::vector<boost::default_color_type> color(n, boost::white_color);
  auto colorMap = boost::make_iterator_property_map(
      color.begin(), boost::get(boost::vertex_index, g));
  MarkVisitor vis;
  vis.seen = &seen;
  for (int r : roots) {
    if (r < 0 || r >= n || seen[r]) continue;
    boost::breadth_first_visit(g, boost::vertex(r, g),
                               boost::visitor(vis).color_map(colorMap));
  }
  return seen;
}

}  // namespace

std::vector<int> findCycle(int numNodes, const EdgeList& edges) {
  BGraph g = makeGraph(numNodes, edges);
  std::vector<Vertex> pred(numNodes);
  for (int i = 0; i < numNodes; ++i) pred[i] = i;
  std::vector<int> cycle;
  CycleVisitor vis;
  vis.pred = &pred;
  vis.cycle = &cycle;
  boost::depth_first_search(g, boost::visitor(vis));
  return cycle;
}

std::vector<int> topologicalOrder(int numNodes, const EdgeList& edges) {
  BGraph g = makeGraph(numNodes, edges);
  std::vector<int> indeg(numNodes);
  for (int v = 0; v < numNodes; ++v)
    indeg[v] = static_cast<int>(boost::in_degree(v, g));
  std::priority_queue<int, std::vector<int>, std::greater<>> ready;
  for (int v = 0; v < numNodes; ++v)
    if (indeg[v] == 0) ready.push(v);
  std::vector<int> order;
  order.reserve(numNodes);
  while (!ready.empty()) {
    int v = ready.top();
    ready.pop();
    order.push_back(v);
    for (auto [it, end] = boost::out_edges(v, g); it != end; ++it) {
      int w = static_cast<int>(boost::target(*it, g));
      if (--indeg[w] == 0) ready.push(w);
    }
  }
  return order;
}

std::vector<bool> ancestorsOf(int numNodes, const EdgeList& edges,
                              const std::vector<int>& targets) {
  BGraph g = makeGraph(numNodes, edges);
  return reachable(boost::make_reverse_graph(g), numNodes, targets);
}

}  // namespace tapeflow
