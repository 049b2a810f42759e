// core/plan_memory.cpp - the node outputs' buffers of a plan, assigned by
// liveness (PlanOptions::shareBuffers).
//
// The plan's execution order is its schedule: a value is live from the
// position of the node that writes it to the position of the last node
// that reads it (a node of a fused chain reads at the chain's last node,
// which runs it; a folded activation's output is its producer's buffer, so
// its readers extend that buffer's life). Values the caller reads after
// forward() (outputs, prediction, the loss and its terms) live to the end.
// A training plan's schedule goes on with the backward pass, the tape in
// reverse: the backward call of the node at position i of E runs at
// 2E - 1 - i, and a value that call reads (OpDef::backwardReads: undeclared,
// every input and output; a fused chain reads all of its own) lives until
// then; a value only the forward pass reads is free after its last forward
// reader. Only the values that live to the end can be read after a step
// (readValue; readGrad of a gradient in the arena is an error too).
// Buffers are placed in one arena, largest first, each at the lowest
// 64-byte aligned offset free over its whole lifetime (greedy by size, as
// TensorFlow Lite's arena planner); two values share bytes only when their
// lifetimes are disjoint. A node never shares with its own inputs: both are
// live at its position. A training plan's gradients of node outputs join
// the arena too (see assignBuffers); workspaces, inputs, parameters and
// their gradients keep buffers of their own.
#include <algorithm>
#include <climits>

#include "core/dnnl_context.h"
#include "core/plan.h"

namespace tapeflow {

void Plan::placeValue(int value) {
  if (sharing_)
    deferred_.push_back(value);
  else
    mem_[value] = allocate(md_[value], value);
}

void Plan::assignBuffers() {
  const Program& p = *program_;
  const int nv = int(p.values().size());
  const int forwardEnd = int(order_.size());
  const bool training = options_.mode == Mode::Training;
  const int end = training ? 2 * forwardEnd : forwardEnd;  // "live to the end"
  std::vector<int> at(size_t(p.numNodes()), -1);
  for (size_t i = 0; i < order_.size(); ++i) at[order_[i]] = int(i);
  for (int n : order_)
    if (chainOf_[n] >= 0) at[n] = at[chains_[chainOf_[n]].nodes.back()];
  // The position of node n's backward call, when it reads the input (or
  // output) `port` there; -1 when it reads none.
  auto backwardRead = [&](int n, int port, bool input) {
    if (!training) return -1;
    const bool reads = chainOf_[n] >= 0 ||
                       (runsBackward_[n] && (input ? p.op(n).backwardReadsInput(port)
                                                   : p.op(n).backwardReadsOutput(port)));
    return reads ? end - 1 - at[n] : -1;
  };
  // The value whose buffer v is (a folded activation's output: its
  // producer's output).
  auto root = [&](int v) {
    while (p.value(v).kind == ValueKind::NodeOutput && fusedInto_[p.value(v).owner] >= 0)
      v = p.nodeInputs(p.value(v).owner)[0];
    return v;
  };
  // Items: node output v is item v, the gradient of v item nv + v.
  std::vector<int> first(2 * size_t(nv), -1), last(2 * size_t(nv), -1);
  std::vector<int> items(deferred_);
  for (int v : deferred_) first[v] = last[v] = at[p.value(v).owner];
  std::vector<bool> keep(kept_);
  for (int v : p.lossTerms()) keep[v] = true;
  for (int v = 0; v < nv; ++v) {
    const ValueInfo& info = p.value(v);
    if (info.kind != ValueKind::NodeOutput || !active_[info.owner] || internal_[v]) continue;
    const int r = root(v);
    if (first[r] < 0) continue;
    for (auto [c, port] : info.consumers)
      if (active_[c]) last[r] = std::max({last[r], at[c], backwardRead(c, port, true)});
    const std::vector<int>& outs = p.nodeOutputs(info.owner);
    const int k = int(std::find(outs.begin(), outs.end(), v) - outs.begin());
    last[r] = std::max(last[r], backwardRead(info.owner, k, false));
    if (keep[v]) last[r] = end;
  }
  // A gradient lives from its first write, the backward call of its last
  // consumer in the forward order (the one that assigns it), to the
  // backward call of its producer, which reads it (or of the BatchNorm
  // that reads a folded Relu's gradient, gradFrom_). Gradients the caller
  // seeds, the BatchNorm's own (never written) and the ones nobody writes
  // keep buffers of their own (allocateGradients).
  for (int v = 0; training && v < nv; ++v) {
    const ValueInfo& info = p.value(v);
    if (info.kind != ValueKind::NodeOutput || !active_[info.owner] || !needsGrad_[v] ||
        internal_[v] || gradFrom_[v] >= 0 || isTarget_[v] || viewBase_[v] >= 0)
      continue;
    int writer = -1;
    for (auto [c, port] : info.consumers)
      if (active_[c] && runsBackward_[c] && p.op(c).inputPort(port).differentiable)
        writer = std::max(writer, at[c]);
    if (writer < 0) continue;
    first[nv + v] = end - 1 - writer;
    last[nv + v] = end - 1 - at[info.owner];
    items.push_back(nv + v);
  }
  // A gradient that is a view of a part of another (a Concat input's,
  // offerGradView) has no buffer of its own: the one it is part of lives
  // until the backward call of the view's producer, which reads it.
  for (int u = 0; u < nv; ++u) {
    const int base = gradFrom_[u] >= 0 ? gradFrom_[u] : viewBase_[u];
    if (base >= 0 && first[nv + base] >= 0)
      last[nv + base] = std::max(last[nv + base], end - 1 - at[p.value(u).owner]);
  }

  // Greedy by size: largest first (ties: earlier first, then item index).
  struct Slot {
    int item;
    int64_t offset, bytes;
  };
  auto descOf = [&](int item) -> const dnnl::memory::desc& { return md_[item % nv]; };
  auto bytesOf = [&](int item) { return (int64_t(descOf(item).get_size()) + 63) / 64 * 64; };
  std::vector<int> bySize(items);
  std::sort(bySize.begin(), bySize.end(), [&](int a, int b) {
    if (bytesOf(a) != bytesOf(b)) return bytesOf(a) > bytesOf(b);
    return first[a] != first[b] ? first[a] < first[b] : a < b;
  });
  std::vector<Slot> placed;
  int64_t arena = 0;
  for (int v : bySize) {
    std::vector<const Slot*> live;
    for (const Slot& s : placed)
      if (first[s.item] <= last[v] && first[v] <= last[s.item]) live.push_back(&s);
    std::sort(live.begin(), live.end(),
              [](const Slot* a, const Slot* b) { return a->offset < b->offset; });
    int64_t offset = 0;
    for (const Slot* s : live) {
      if (offset + bytesOf(v) <= s->offset) break;
      offset = std::max(offset, s->offset + s->bytes);
    }
    placed.push_back({v, offset, bytesOf(v)});
    arena = std::max(arena, offset + bytesOf(v));
  }

  BufferStats& st = bufferStats_;
  for (int v : items) st.valueBytes += int64_t(descOf(v).get_size());
  for (int t = 0; t <= end; ++t) {
    int64_t live = 0;
    for (int v : items)
      if (first[v] <= t && t <= last[v]) live += int64_t(descOf(v).get_size());
    st.livePeakBytes = std::max(st.livePeakBytes, live);
  }
  st.arenaBytes = arena;
  allocNode_ = -1;
  dnnl::memory block = allocate(
      dnnl::memory::desc({std::max<int64_t>(arena, 1)}, dnnl::memory::data_type::u8,
                         dnnl::memory::format_tag::a));
  scratch_.push_back(block);
  char* base = static_cast<char*>(block.get_data_handle());
  for (const Slot& s : placed) {
    dnnl::memory m(descOf(s.item), cpuEngine(), base + s.offset);
    if (s.item < nv) {
      mem_[s.item] = m;
    } else {
      grad_[s.item - nv] = m;  // allocateGradients leaves it as it is
      gradReused_[s.item - nv] = true;
    }
  }
  // Folded activations' outputs, in order (a chain of folds resolves).
  for (int n : order_)
    if (fusedInto_[n] >= 0)
      for (int o : p.nodeOutputs(n)) mem_[o] = mem_[p.nodeInputs(n)[0]];
  for (int v = 0; v < nv; ++v)
    if (mem_[v] && p.value(v).kind == ValueKind::NodeOutput && first[root(v)] >= 0)
      reused_[v] = last[root(v)] < end;
  deferred_.clear();
}

}  // namespace tapeflow
