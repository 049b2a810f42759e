// core/plan_chains.cpp - the plan's side of fused chains
// (core/chain_fusion.h finds them, core/fused_chain.h runs them): which
// values stay inside a chain, the chain's layouts and gradient edges, and
// its calls in the forward and backward walks.
#include "core/plan.h"

#include "core/op_context.h"

namespace tapeflow {

// Runs of elementwise nodes become one fused node each.
void Plan::planChains() {
  const Program& p = *program_;
  std::vector<bool> excluded(size_t(p.numNodes()), true), pinned(isTarget_);
  for (int n : order_) excluded[n] = fusedInto_[n] >= 0 || fusedChild_[n] >= 0;
  for (int v : p.outputValues()) pinned[v] = true;
  for (int v : p.lossTerms()) pinned[v] = true;
  for (const auto& name : options_.outputs) pinned[p.findValue(name)] = true;
  for (int v : {p.lossValue(), p.predictionValue()})
    if (v >= 0) pinned[v] = true;
  chains_ = findChains(p, order_, dims_, excluded, pinned);
  for (size_t c = 0; c < chains_.size(); ++c) {
    const std::vector<int>& nodes = chains_[c].nodes;
    for (size_t k = 0; k < nodes.size(); ++k) {
      chainOf_[nodes[k]] = int(c);
      if (k + 1 < nodes.size()) internal_[p.nodeOutputs(nodes[k])[0]] = true;
    }
  }
  chainNodes_.resize(chains_.size());
}

// True when every consumer of value v would convert it to nhwc
// (OpDef::prefersChannelsLast): a chain producing v then writes nhwc.
bool Plan::consumersWantNhwc(int v) const {
  const Program& p = *program_;
  const ValueInfo& info = p.value(v);
  if (info.consumers.empty() || dims_[v].size() != 4) return false;
  for (auto [c, port] : info.consumers) {
    const ChannelsLastFn& fn = p.op(c).channelsLastFn();
    if (!active_[c] || !fn) return false;
    std::vector<Dims> inDims;
    std::vector<DType> inTypes;
    for (int u : p.nodeInputs(c)) {
      inDims.push_back(dims_[u]);
      inTypes.push_back(p.value(u).dtype);
    }
    ShapeContext sctx(p.graph().nodes[c], p.op(c), p.attrs(c), inDims, inTypes);
    if (!fn(sctx, port)) return false;
  }
  return true;
}

void Plan::prepareChain(int c) {
  const Program& p = *program_;
  const FusedChain& ch = chains_[c];
  std::vector<dnnl::memory::desc> operandMds(ch.nodes.size());
  for (size_t k = 0; k < ch.nodes.size(); ++k)
    if (ch.operandPorts[k] >= 0)
      operandMds[k] = md_[p.nodeInputs(ch.nodes[k])[ch.operandPorts[k]]];
  auto node = std::make_unique<FusedChainNode>(
      ch.steps, md_[ch.input], operandMds,
      [this](const dnnl::memory::desc& md) { return scratchMemory(md); },
      consumersWantNhwc(ch.output));
  md_[ch.output] = node->outputDesc();
  placeValue(ch.output);
  gradInMd_[ch.nodes[0]][ch.dataPorts[0]] = node->dataDesc();
  for (size_t k = 0; k < ch.nodes.size(); ++k)
    if (ch.operandPorts[k] >= 0)
      gradInMd_[ch.nodes[k]][ch.operandPorts[k]] =
          plainDesc(dims_[p.nodeInputs(ch.nodes[k])[ch.operandPorts[k]]]);
  info_[ch.nodes.back()].impl = node->impl();
  info_[ch.nodes.back()].reorders += node->reorders();
  chainNodes_[c] = std::move(node);
}

std::vector<int> Plan::backwardUnit(int n) const {
  if (chainOf_[n] < 0) return {n};
  const std::vector<int>& nodes = chains_[chainOf_[n]].nodes;
  if (nodes.back() != n) return {};
  return std::vector<int>(nodes.rbegin(), nodes.rend());
}

void Plan::runChain(int c, bool backwardPass) {
  const Program& p = *program_;
  const FusedChain& ch = chains_[c];
  const int last = ch.nodes.back();
  if (observer_) observer_->beginNode(last, backwardPass);
  if (!backwardPass) {
    std::vector<dnnl::memory> operands(ch.nodes.size());
    for (size_t k = 0; k < ch.nodes.size(); ++k)
      if (ch.operandPorts[k] >= 0)
        operands[k] = mem_[p.nodeInputs(ch.nodes[k])[ch.operandPorts[k]]];
    chainNodes_[c]->forward(mem_[ch.input], operands, mem_[ch.output]);
  } else {
    int first = 0;
    while (!runsBackward_[ch.nodes[first]]) ++first;
    auto edge = [&](size_t k, int port) -> const dnnl::memory* {
      if (port < 0) return nullptr;
      const GradEdge& e = edges_[ch.nodes[k]][size_t(port)];
      return e.value >= 0 ? &e.mem : nullptr;
    };
    std::vector<const dnnl::memory*> dOperands(ch.nodes.size(), nullptr);
    for (size_t k = 0; k < ch.nodes.size(); ++k)
      if (ch.operandPorts[k] >= 0) dOperands[k] = edge(k, ch.operandPorts[k]);
    chainNodes_[c]->backward(mem_[ch.input], mem_[ch.output], grad_[ch.output],
                             edge(0, ch.dataPorts[0]), dOperands, first);
    for (int m : backwardUnit(last))
      for (GradEdge& e : edges_[m])
        if (e.value >= 0) runEdge(e);
  }
  if (observer_) observer_->endNode(last, backwardPass);
}

}  // namespace tapeflow
