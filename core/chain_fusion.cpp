// core/chain_fusion.cpp - finding the chains the plan fuses.
#include "core/chain_fusion.h"

#include <optional>

#include "core/op_context.h"

namespace tapeflow {
namespace {

bool isBinary(PointwiseKind k) {
  return k == PointwiseKind::Add || k == PointwiseKind::Sub ||
         k == PointwiseKind::Mul || k == PointwiseKind::Div;
}

/// True when `operand` broadcasts over `data` along every axis but the
/// channel axis (1), which it matches or is 1 on; neither follows the
/// batch size. Symbolic dims (-1: the batch) decide, so that the answer
/// does not depend on the batch size.
bool channelOrScalar(const Dims& operand, const Dims& data) {
  if (operand.size() > data.size()) return false;
  const size_t pad = data.size() - operand.size();
  for (size_t i = 0; i < data.size(); ++i) {
    const int64_t d = i < pad ? 1 : operand[i - pad];
    if (d == 1) continue;
    if (d < 0 || i != 1 || d != data[1]) return false;
  }
  return true;
}

/// How node n would join a chain, if it can.
struct Candidate {
  ChainStep step;
  int dataPort = 0;
  int operandPort = -1;
};

std::optional<Candidate> candidate(const Program& p, int n,
                                   const std::vector<Dims>& dims) {
  const OpDef& def = p.op(n);
  if (!def.pointwiseFn() || p.nodeOutputs(n).size() != 1) return std::nullopt;
  const int out = p.nodeOutputs(n)[0];
  if (p.value(out).dtype != DType::F32) return std::nullopt;
  std::vector<Dims> inDims;
  std::vector<DType> inTypes;
  for (int u : p.nodeInputs(n)) {
    if (p.value(u).dtype != DType::F32) return std::nullopt;
    inDims.push_back(dims[u]);
    inTypes.push_back(DType::F32);
  }
  ShapeContext sctx(p.graph().nodes[n], def, p.attrs(n), inDims, inTypes);
  std::optional<PointwiseOp> op = def.pointwiseFn()(sctx);
  if (!op) return std::nullopt;
  Candidate c;
  c.step.op = *op;
  const size_t arity = isBinary(op->kind) ? 2 : 1;
  if (p.nodeInputs(n).size() != arity) return std::nullopt;
  if (arity == 1) return c;
  const Dims& outDims = p.value(out).dims;
  const Dims& a = p.value(p.nodeInputs(n)[0]).dims;
  const Dims& b = p.value(p.nodeInputs(n)[1]).dims;
  if (a == outDims && b != outDims && channelOrScalar(b, outDims)) {
    c.operandPort = 1;
  } else if (b == outDims && a != outDims && channelOrScalar(a, outDims)) {
    c.dataPort = 1;
    c.operandPort = 0;
    c.step.operandFirst = true;
  } else {
    return std::nullopt;
  }
  c.step.scalarOperand =
      numel(dims[p.nodeInputs(n)[size_t(c.operandPort)]]) == 1;
  return c;
}

}  // namespace

std::string FusedChain::names(const Program& p) const {
  std::string s;
  for (int n : nodes) s += (s.empty() ? "" : "+") + p.graph().nodes[size_t(n)].name;
  return s;
}

std::string FusedChain::ops(const Program& p) const {
  std::string s;
  for (int n : nodes) s += (s.empty() ? "" : "+") + p.graph().nodes[size_t(n)].op;
  return s;
}

std::vector<FusedChain> findChains(const Program& p, const std::vector<int>& order,
                                   const std::vector<Dims>& dims,
                                   const std::vector<bool>& excluded,
                                   const std::vector<bool>& pinned) {
  std::vector<std::optional<Candidate>> cand(size_t(p.numNodes()));
  for (int n : order)
    if (!excluded[size_t(n)]) cand[size_t(n)] = candidate(p, n, dims);
  std::vector<bool> taken(size_t(p.numNodes()), false);
  std::vector<FusedChain> chains;
  for (int head : order) {
    if (taken[size_t(head)] || !cand[size_t(head)]) continue;
    std::vector<int> nodes{head};
    while (int(nodes.size()) < kMaxChainSteps) {
      const int v = p.nodeOutputs(nodes.back())[0];
      const auto& consumers = p.value(v).consumers;
      if (pinned[size_t(v)] || consumers.size() != 1) break;
      const auto [next, port] = consumers[0];
      if (taken[size_t(next)] || !cand[size_t(next)] ||
          cand[size_t(next)]->dataPort != port)
        break;
      nodes.push_back(next);
    }
    if (nodes.size() < 2) continue;
    FusedChain c;
    for (int n : nodes) {
      taken[size_t(n)] = true;
      c.nodes.push_back(n);
      c.steps.push_back(cand[size_t(n)]->step);
      c.dataPorts.push_back(cand[size_t(n)]->dataPort);
      c.operandPorts.push_back(cand[size_t(n)]->operandPort);
    }
    c.input = p.nodeInputs(head)[size_t(c.dataPorts[0])];
    c.output = p.nodeOutputs(nodes.back())[0];
    chains.push_back(std::move(c));
  }
  return chains;
}

}  // namespace tapeflow
