// ops/internal/reduce_common.cpp - reductions on oneDNN, in plain layout.
//
// Forward: src (reordered to plain when it arrives blocked) -> reduction ->
// dst, written through a view of the output with src's rank (1 on the
// reduced axes; the same bytes whether keepdims drops them or not).
// Backward, with dy viewed the same way and broadcast by binary primitives:
//   Sum   dx = 0 + dy
//   Mean  dx = 0 + dy / count
//   Max   mask = (x == y), ties = sum(mask), dx = mask * (dy / ties): the
//         gradient is shared evenly among tied maxima (as PyTorch's amax).
// NOTE: plain layout keeps the reduction on jit kernels (oneDNN runs ref:any
// when the reduced dims are not innermost in a blocked layout), and 2.6.3's
// jit comparison on nChw8c is wrong (see binary_common.cpp).
// NOTE: when nothing is reduced (only axes of size 1), forward and backward
// are a memcpy of plain data.
#include "ops/internal/reduce_common.h"

#include <cstring>

namespace tapeflow::ops {
namespace {

struct ReduceState {
  ReduceKind kind = ReduceKind::Sum;
  bool copy = false;      ///< nothing is reduced
  size_t bytes = 0;       ///< of plain src
  Relayout toPlain;
  std::optional<dnnl::reduction> fwd;
  dnnl::memory src;       ///< plain src of the last forward
  dnnl::memory dstView;   ///< the output with src's rank
  dnnl::memory dyView;    ///< its gradient, viewed the same way
  dnnl::memory zeros;     ///< Sum, Mean: plain zeros of src's dims
  std::optional<dnnl::eltwise_forward> scale;  ///< Mean: dy / count
  std::optional<dnnl::binary> select;  ///< Max: mask = (x == y)
  std::optional<dnnl::reduction> countTies;  ///< Max: ties = sum(mask)
  std::optional<dnnl::binary> share;   ///< Max: q = dy / ties
  std::optional<dnnl::binary> spread;  ///< 0 + dy (Sum, Mean); mask * q (Max)
  dnnl::memory small, mask, ties;      ///< kept-dims and full temporaries
};

/// One flag per axis of src: reduced or not. Throws AttrError for an axis
/// out of range or listed twice.
std::vector<bool> reducedAxes(const NodeView& ctx) {
  const int64_t rank = ctx.inputRank(0);
  const std::vector<int64_t>& axes = ctx.attrInts("axes");
  std::vector<bool> reduced(rank, axes.empty());
  for (int64_t a : axes) {
    if (a < -rank || a >= rank)
      ctx.failAttr("axes", "axis " + std::to_string(a) +
                               " is out of range for " +
                               ctx.describeInput(0) + " (allowed [" +
                               std::to_string(-rank) + ", " +
                               std::to_string(rank - 1) + "])");
    int64_t k = a < 0 ? a + rank : a;
    if (reduced[k])
      ctx.failAttr("axes", "axis " + std::to_string(a) + " is listed twice");
    reduced[k] = true;
  }
  return reduced;
}

/// src's dims with 1 on the reduced axes.
Dims keptDims(const NodeView& ctx) {
  Dims kept = ctx.inputDims(0);
  std::vector<bool> reduced = reducedAxes(ctx);
  for (size_t d = 0; d < kept.size(); ++d)
    if (reduced[d]) kept[d] = 1;
  return kept;
}

void inferShapes(ShapeContext& ctx) {
  if (ctx.inputRank(0) < 1)
    ctx.fail(ctx.describeInput(0) + " must have rank >= 1");
  int64_t keep = ctx.attrInt("keepdims");
  if (keep != 0 && keep != 1)
    ctx.failAttr("keepdims", "must be 0 or 1, found " + std::to_string(keep));
  std::vector<bool> reduced = reducedAxes(ctx);
  const Dims& in = ctx.inputDims(0);
  Dims out;
  for (size_t d = 0; d < in.size(); ++d)
    if (!reduced[d]) out.push_back(in[d]);
    else if (keep) out.push_back(1);
  ctx.setOutput(0, out);
}

algorithm algOf(ReduceKind k) {
  switch (k) {
    case ReduceKind::Sum: return algorithm::reduction_sum;
    case ReduceKind::Mean: return algorithm::reduction_mean;
    case ReduceKind::Max: return algorithm::reduction_max;
  }
  return algorithm::reduction_sum;
}

dnnl::binary makeBinary(PrepareContext& ctx, algorithm alg,
                        const dnnl::memory::desc& a,
                        const dnnl::memory::desc& b,
                        const dnnl::memory::desc& c) {
  return dnnl::binary(dnnl::binary::primitive_desc({alg, a, b, c},
                                                   ctx.engine()));
}

void prepare(PrepareContext& ctx, ReduceKind kind) {
  auto& st = ctx.makeState<ReduceState>();
  st.kind = kind;
  const Dims& dims = ctx.inputDims(0);
  const Dims kept = keptDims(ctx);
  const dnnl::memory::desc plain = plainDesc(dims), keptMd = plainDesc(kept);
  st.toPlain = Relayout(ctx, ctx.inputDesc(0), plain);
  st.bytes = plain.get_size();
  st.copy = numel(kept) == numel(dims);
  if (!st.copy) {
    dnnl::reduction::primitive_desc pd({algOf(kind), plain, keptMd, 0.f, 0.f},
                                       ctx.engine());
    st.fwd = dnnl::reduction(pd);
    ctx.noteImpl("fwd", pd.impl_info_str());
  }
  st.dstView = dnnl::memory(keptMd, ctx.engine(), DNNL_MEMORY_NONE);
  if (!ctx.needsGrad(0)) return;
  ctx.setGradInputDesc(0, plain);
  if (st.copy) return;
  st.dyView = dnnl::memory(keptMd, ctx.engine(), DNNL_MEMORY_NONE);
  if (kind == ReduceKind::Max) {
    st.mask = ctx.scratch(plain);
    st.ties = ctx.scratch(keptMd);
    st.small = ctx.scratch(keptMd);
    st.select = makeBinary(ctx, algorithm::binary_eq, plain, keptMd, plain);
    st.countTies = dnnl::reduction(dnnl::reduction::primitive_desc(
        {algorithm::reduction_sum, plain, keptMd, 0.f, 0.f}, ctx.engine()));
    st.share = makeBinary(ctx, algorithm::binary_div, keptMd, keptMd, keptMd);
    st.spread = makeBinary(ctx, algorithm::binary_mul, plain, keptMd, plain);
    return;
  }
  st.zeros = ctx.scratch(plain);
  std::memset(st.zeros.get_data_handle(), 0, plain.get_size());
  st.spread = makeBinary(ctx, algorithm::binary_add, plain, keptMd, plain);
  if (kind == ReduceKind::Mean) {
    st.small = ctx.scratch(keptMd);
    const float count = float(numel(dims) / numel(kept));
    st.scale = dnnl::eltwise_forward(dnnl::eltwise_forward::primitive_desc(
        {prop_kind::forward_inference, algorithm::eltwise_linear, keptMd,
         1.f / count, 0.f},
        ctx.engine()));
  }
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<ReduceState>();
  dnnl::stream& s = ctx.stream();
  st.src = st.toPlain(s, ctx.input(0));
  if (st.copy) {
    s.wait();
    std::memcpy(ctx.output(0).get_data_handle(), st.src.get_data_handle(),
                st.bytes);
    return;
  }
  st.dstView.set_data_handle(ctx.output(0).get_data_handle());
  st.fwd->execute(s, {{DNNL_ARG_SRC, st.src}, {DNNL_ARG_DST, st.dstView}});
}

void backward(GradContext& ctx) {
  auto& st = ctx.state<ReduceState>();
  if (!ctx.needsGrad(0)) return;
  dnnl::stream& s = ctx.stream();
  dnnl::memory& dx = ctx.gradInput(0);
  if (st.copy) {
    std::memcpy(dx.get_data_handle(), ctx.gradOutput(0).get_data_handle(),
                st.bytes);
    return;
  }
  st.dyView.set_data_handle(ctx.gradOutput(0).get_data_handle());
  auto run = [&](dnnl::binary& p, const dnnl::memory& a, const dnnl::memory& b,
                 const dnnl::memory& c) {
    p.execute(s, {{DNNL_ARG_SRC_0, a}, {DNNL_ARG_SRC_1, b}, {DNNL_ARG_DST, c}});
  };
  switch (st.kind) {
    case ReduceKind::Sum:
      run(*st.spread, st.zeros, st.dyView, dx);
      break;
    case ReduceKind::Mean:
      st.scale->execute(s, {{DNNL_ARG_SRC, st.dyView},
                            {DNNL_ARG_DST, st.small}});
      run(*st.spread, st.zeros, st.small, dx);
      break;
    case ReduceKind::Max:
      st.dstView.set_data_handle(ctx.output(0).get_data_handle());
      run(*st.select, st.src, st.dstView, st.mask);
      st.countTies->execute(s, {{DNNL_ARG_SRC, st.mask},
                                {DNNL_ARG_DST, st.ties}});
      run(*st.share, st.dyView, st.ties, st.small);
      run(*st.spread, st.mask, st.small, dx);
      break;
  }
}

std::vector<SampleCase> samples(ReduceKind kind) {
  auto make = [](std::string label, Dims in, std::vector<int64_t> axes,
                 int64_t keep) {
    SampleCase c;
    c.label = std::move(label);
    c.inputs = {std::move(in)};
    c.attrs = {{"axes", AttrValue::ofInts(std::move(axes))},
               {"keepdims", AttrValue::ofInt(keep)}};
    return c;
  };
  std::vector<SampleCase> all{
      make("2x3x4x5_axis1", {2, 3, 4, 5}, {1}, 1),
      make("3x13_all_dropped", {3, 13}, {}, 0),  // 13: not a multiple of 8
      make("2x13x3_axes-1,0_dropped", {2, 13, 3}, {-1, 0}, 0)};
  // Max: values spaced apart (no near-ties within a finite-difference step).
  for (SampleCase& c : all) c.distinctInputs = kind == ReduceKind::Max;
  return all;
}

}  // namespace

OpDef makeReduceOp(std::string name, ReduceKind kind, std::string doc) {
  OpDef def(std::move(name));
  def.input("src").output("dst").doc(std::move(doc));
  def.attr("axes", AttrValue::ofInts({}),
           "axes to reduce (negative counts from the end); empty: all");
  def.attr("keepdims", AttrValue::ofInt(1),
           "1: reduced axes stay as size 1; 0: they are removed");
  def.shapes(inferShapes);
  def.flops([](const ShapeContext& ctx) { return numel(ctx.inputDims(0)); });
  def.prepare([kind](PrepareContext& ctx) { prepare(ctx, kind); });
  def.forward(forward);
  def.backward(backward);
  def.samples([kind] { return samples(kind); });
  return def;
}

}  // namespace tapeflow::ops
