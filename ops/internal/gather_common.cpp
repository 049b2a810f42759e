// ops/internal/gather_common.cpp - Gather and Embedding: a row copy loop and
// its scatter-add.
// NOTE: oneDNN has no gather primitive; rows are contiguous runs of `inner`
// floats, so the loops are memcpy / a vectorisable add per row. Indices are
// data: they are checked on every forward (one pass, before any copy).
#include "ops/internal/gather_common.h"

#include <cstring>

namespace tapeflow::ops {
namespace {

struct GatherState {
  GatherGeometry g;
  Relayout toPlain;
  int dataAt = 0;
  size_t dataBytes = 0;
};

/// The index at position k, resolved to [0, axisDim); throws when outside.
int64_t row(const ExecContext& ctx, const GatherGeometry& g,
            const int32_t* idx, int64_t k) {
  int64_t j = idx[k];
  if (g.negative && j < 0) j += g.axisDim;
  if (j < 0 || j >= g.axisDim)
    ctx.fail("index " + std::to_string(idx[k]) + " at position " +
             std::to_string(k) + " of input 'indices' is out of range for " +
             g.what + " of size " + std::to_string(g.axisDim) + " (valid: " +
             (g.negative ? std::to_string(-g.axisDim) : std::string("0")) +
             " to " + std::to_string(g.axisDim - 1) + ")");
  return j;
}

}  // namespace

void prepareGather(PrepareContext& ctx, const GatherGeometry& g, int dataAt) {
  auto& st = ctx.makeState<GatherState>();
  st.g = g;
  st.dataAt = dataAt;
  const dnnl::memory::desc plain = plainDesc(ctx.inputDims(dataAt));
  st.toPlain = Relayout(ctx, ctx.inputDesc(dataAt), plain);
  st.dataBytes = plain.get_size();
  if (ctx.needsGrad(dataAt) && ctx.inputDesc(dataAt) != plain)
    ctx.setGradInputDesc(dataAt, plain);
}

void forwardGather(ExecContext& ctx) {
  auto& st = ctx.state<GatherState>();
  const GatherGeometry& g = st.g;
  const float* src = data(st.toPlain(ctx.stream(), ctx.input(st.dataAt)));
  const int32_t* idx = hostPtr<int32_t>(ctx.input(1 - st.dataAt));
  std::vector<int64_t> rows(size_t(g.count));
  for (int64_t k = 0; k < g.count; ++k) rows[size_t(k)] = row(ctx, g, idx, k);
  ctx.stream().wait();  // the relayout above, before reading src
  float* dst = data(ctx.output(0));
  const size_t bytes = size_t(g.inner) * sizeof(float);
  for (int64_t o = 0; o < g.outer; ++o)
    for (int64_t k = 0; k < g.count; ++k)
      std::memcpy(dst + (o * g.count + k) * g.inner,
                  src + (o * g.axisDim + rows[size_t(k)]) * g.inner, bytes);
}

void backwardGather(GradContext& ctx) {
  auto& st = ctx.state<GatherState>();
  if (!ctx.needsGrad(st.dataAt)) return;
  const GatherGeometry& g = st.g;
  float* diff = data(ctx.gradInput(st.dataAt));
  std::memset(diff, 0, st.dataBytes);
  const float* diffDst = data(ctx.gradOutput(0));
  const int32_t* idx = hostPtr<int32_t>(ctx.input(1 - st.dataAt));
  for (int64_t o = 0; o < g.outer; ++o)
    for (int64_t k = 0; k < g.count; ++k) {
      const int64_t j = idx[k] < 0 ? idx[k] + g.axisDim : idx[k];  // checked
      float* to = diff + (o * g.axisDim + j) * g.inner;
      const float* from = diffDst + (o * g.count + k) * g.inner;
      for (int64_t i = 0; i < g.inner; ++i) to[i] += from[i];
    }
}

}  // namespace tapeflow::ops
