// core/chain_fusion.h - the plan's chain-fusion pass: finds runs of
// elementwise nodes (activations, and Add/Sub/Mul/Div whose other input is
// broadcast along channels or a scalar) that the plan runs as one fused
// node (core/fused_chain.h).
//
// A node joins the chain of the node before it when it is that node's only
// consumer, reads it as its data input, and the value between them is not
// pinned (a graph output, logged output, loss, prediction, requested
// output or gradient target).
#pragma once

#include <string>
#include <vector>

#include "core/fused_chain.h"
#include "core/program.h"

namespace tapeflow {

/// One chain of two or more nodes, in execution order; the last one runs
/// it, the others run nothing and their outputs are never materialized.
struct FusedChain {
  std::vector<int> nodes;
  std::vector<ChainStep> steps;   ///< one per node
  std::vector<int> dataPorts;     ///< per node: the port the data enters
  std::vector<int> operandPorts;  ///< per node: the operand's port, or -1
  int input = -1;                 ///< the value entering the chain
  int output = -1;                ///< the value leaving it

  /// "s2.scale+s2.shift+s2.sigmoid" (names) or "Mul+Add+Sigmoid" (ops).
  std::string names(const Program& p) const;
  std::string ops(const Program& p) const;
};

/// The chains among the nodes of `order`, given at `dims` (the plan's
/// batch). `excluded[n]`: node n may not join (inactive, or folded into a
/// producer as a post-op); `pinned[v]`: value v must be kept.
std::vector<FusedChain> findChains(const Program& p, const std::vector<int>& order,
                                   const std::vector<Dims>& dims,
                                   const std::vector<bool>& excluded,
                                   const std::vector<bool>& pinned);

}  // namespace tapeflow
