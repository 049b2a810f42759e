// core/plan_memory.cpp - the node outputs' buffers of an inference plan,
// assigned by liveness (PlanOptions::shareBuffers).
//
// The plan's execution order is its schedule: a value is live from the
// position of the node that writes it to the position of the last node
// that reads it (a node of a fused chain reads at the chain's last node,
// which runs it; a folded activation's output is its producer's buffer, so
// its readers extend that buffer's life). Values the caller reads after
// forward() (outputs, prediction) live to the end. Buffers are placed in
// one arena, largest first, each at the lowest 64-byte aligned offset free
// over its whole lifetime (greedy by size, as TensorFlow Lite's arena
// planner); two values share bytes only when their lifetimes are disjoint.
// A node never shares with its own inputs: both are live at its position.
// Training plans keep a buffer per value (the backward pass reads them).
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
  const int end = int(order_.size());  // "live to the end"
  std::vector<int> at(size_t(p.numNodes()), -1);
  for (size_t i = 0; i < order_.size(); ++i) at[order_[i]] = int(i);
  for (int n : order_)
    if (chainOf_[n] >= 0) at[n] = at[chains_[chainOf_[n]].nodes.back()];
  // The value whose buffer v is (a folded activation's output: its
  // producer's output).
  auto root = [&](int v) {
    while (p.value(v).kind == ValueKind::NodeOutput && fusedInto_[p.value(v).owner] >= 0)
      v = p.nodeInputs(p.value(v).owner)[0];
    return v;
  };
  std::vector<int> first(nv, -1), last(nv, -1);
  for (int v : deferred_) first[v] = last[v] = at[p.value(v).owner];
  for (int v = 0; v < nv; ++v) {
    const ValueInfo& info = p.value(v);
    if (info.kind != ValueKind::NodeOutput || !active_[info.owner] || internal_[v]) continue;
    const int r = root(v);
    if (first[r] < 0) continue;
    for (auto [c, port] : info.consumers)
      if (active_[c]) last[r] = std::max(last[r], at[c]);
    if (kept_[v]) last[r] = end;
  }

  // Greedy by size: largest first (ties: earlier first, then value index).
  struct Slot {
    int value;
    int64_t offset, bytes;
  };
  std::vector<int> bySize(deferred_);
  auto bytesOf = [&](int v) { return (int64_t(md_[v].get_size()) + 63) / 64 * 64; };
  std::sort(bySize.begin(), bySize.end(), [&](int a, int b) {
    if (bytesOf(a) != bytesOf(b)) return bytesOf(a) > bytesOf(b);
    return first[a] != first[b] ? first[a] < first[b] : a < b;
  });
  std::vector<Slot> placed;
  int64_t arena = 0;
  for (int v : bySize) {
    std::vector<const Slot*> live;
    for (const Slot& s : placed)
      if (first[s.value] <= last[v] && first[v] <= last[s.value]) live.push_back(&s);
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
  for (int v : deferred_) st.valueBytes += int64_t(md_[v].get_size());
  for (int t = 0; t <= end; ++t) {
    int64_t live = 0;
    for (int v : deferred_)
      if (first[v] <= t && t <= last[v]) live += int64_t(md_[v].get_size());
    st.livePeakBytes = std::max(st.livePeakBytes, live);
  }
  st.arenaBytes = arena;
  allocNode_ = -1;
  dnnl::memory block = allocate(
      dnnl::memory::desc({std::max<int64_t>(arena, 1)}, dnnl::memory::data_type::u8,
                         dnnl::memory::format_tag::a));
  scratch_.push_back(block);
  char* base = static_cast<char*>(block.get_data_handle());
  for (const Slot& s : placed) mem_[s.value] = dnnl::memory(md_[s.value], cpuEngine(), base + s.offset);
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
