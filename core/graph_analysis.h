// core/graph_analysis.h - graph algorithms on the node graph (Boost.Graph
// underneath; no Boost type crosses this header).
//
// Vertices are node indices 0..n-1 in file order; an edge (a, b) means node
// b consumes a value node a produces.
#pragma once

#include <utility>
#include <vector>

namespace tapeflow {

using EdgeList = std::vector<std::pair<int, int>>;

/// A cycle as a vertex sequence a -> b -> ... -> a (first == last), or an
/// empty vector when the graph is acyclic. Deterministic.
std::vector<int> findCycle(int numNodes, const EdgeList& edges);

/// Topological order; among ready vertices the smallest index (earliest in
/// the file) goes first. Precondition: acyclic.
std::vector<int> topologicalOrder(int numNodes, const EdgeList& edges);

/// Vertices from which some vertex in `targets` is reachable (targets
/// included): the nodes a requested output depends on.
std::vector<bool> ancestorsOf(int numNodes, const EdgeList& edges,
                              const std::vector<int>& targets);

}  // namespace tapeflow
