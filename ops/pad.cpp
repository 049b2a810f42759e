// ops/pad.cpp - Pad: dst = src placed at offset `begins` inside a tensor of
//   dims begins + src dims + ends, filled with `value` elsewhere
//   d src = d dst[begins : begins + src dims] (the border gets no gradient)
// NOTE: everything is a oneDNN reorder: src into a submemory view of dst,
// and a constant buffer into each border slab (the border is split into at
// most 2*rank disjoint slabs). Only the border is written with `value`, so
// the op never reads dst (an in-place eltwise_linear fill with alpha 0 turns
// a NaN or Inf left in uninitialised memory into NaN: 0 * NaN = NaN).
#include <algorithm>

#include "ops/op_kit.h"

namespace tapeflow::ops {
namespace {

/// A reorder into (or out of) a view of a buffer only known at execute time.
struct ViewCopy {
  dnnl::reorder prim;
  dnnl::memory view;  ///< submemory view; its handle is set before running
};

struct PadState {
  ViewCopy interior;                   ///< src -> interior of dst
  std::vector<ViewCopy> border;        ///< constant -> border slab of dst
  std::vector<dnnl::memory> constant;  ///< per slab: plain view of `value`s
  std::optional<ViewCopy> bwd;         ///< interior of diff_dst -> diff_src
};

std::string listStr(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

void inferShapes(ShapeContext& ctx) {
  const Dims& in = ctx.inputDims(0);
  const int rank = ctx.inputRank(0);
  if (rank < 1)
    ctx.fail(ctx.describeInput(0) + " must have rank >= 1, found 0");
  const std::vector<int64_t>& pads = ctx.attrInts("pads");
  if (int(pads.size()) != 2 * rank)
    ctx.failAttr("pads", "must have " + std::to_string(2 * rank) +
                             " values (all begins, then all ends) for " +
                             ctx.describeInput(0) + ", found " +
                             std::to_string(pads.size()) + " " + listStr(pads));
  for (int64_t p : pads)
    if (p < 0) ctx.failAttr("pads", "must be >= 0, found " + listStr(pads));
  Dims out(in);
  for (int d = 0; d < rank; ++d) out[d] += pads[d] + pads[rank + d];
  if (checkedNumel(out) < 0)
    ctx.fail("padded shape " + dimsStr(out) + " has more than 2^31-1 elements");
  ctx.setOutput(0, out);
}

ViewCopy makeCopy(PrepareContext& ctx, const char* what,
                  const dnnl::memory::desc& from, const dnnl::memory::desc& to,
                  const dnnl::memory::desc& view) {
  dnnl::reorder::primitive_desc pd(ctx.engine(), from, ctx.engine(), to);
  if (what) ctx.noteImpl(what, pd.impl_info_str());
  return {dnnl::reorder(pd),
          dnnl::memory(view, ctx.engine(), DNNL_MEMORY_NONE)};
}

void prepare(PrepareContext& ctx) {
  const Dims& in = ctx.inputDims(0);
  const Dims& out = ctx.outputDims(0);
  const int rank = ctx.inputRank(0);
  const std::vector<int64_t>& pads = ctx.attrInts("pads");
  const dnnl::memory::desc& dstMd = ctx.outputDesc(0);  // plain
  dnnl::memory::dims begins(pads.begin(), pads.begin() + rank);
  auto& st = ctx.makeState<PadState>();
  dnnl::memory::desc inner = dstMd.submemory_desc(toDnnl(in), begins);
  st.interior = makeCopy(ctx, "interior", ctx.inputDesc(0), inner, inner);
  // Border slab d, side s: dims before d span the interior, dim d spans the
  // pad on side s, dims after d span the whole output.
  std::vector<std::pair<dnnl::memory::dims, dnnl::memory::dims>> slabs;
  for (int d = 0; d < rank; ++d)
    for (int side = 0; side < 2; ++side) {
      int64_t width = pads[side * rank + d];
      if (width == 0) continue;
      dnnl::memory::dims dims(toDnnl(out)), offsets(rank, 0);
      for (int k = 0; k < d; ++k) {
        dims[k] = in[k];
        offsets[k] = begins[k];
      }
      dims[d] = width;
      offsets[d] = side == 0 ? 0 : begins[d] + in[d];
      slabs.emplace_back(dims, offsets);
    }
  int64_t largest = 0;
  for (const auto& s : slabs)
    largest = std::max(largest, numel(Dims(s.first.begin(), s.first.end())));
  if (largest > 0) {
    // NOTE: filled once here; forward only copies it into the border.
    dnnl::memory values = ctx.scratch(plainDesc({largest}));
    std::fill_n(data(values), largest, ctx.attrFloat("value"));
    for (const auto& [dims, offsets] : slabs) {
      dnnl::memory::desc constMd = plainDesc(Dims(dims.begin(), dims.end()));
      dnnl::memory::desc slabMd = dstMd.submemory_desc(dims, offsets);
      st.constant.emplace_back(constMd, ctx.engine(), values.get_data_handle());
      st.border.push_back(makeCopy(ctx, st.border.empty() ? "border" : nullptr,
                                   constMd, slabMd, slabMd));
    }
  }
  if (ctx.needsGrad(0))
    st.bwd = makeCopy(ctx, "bwd", inner, ctx.inputDesc(0), inner);
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<PadState>();
  void* dst = ctx.output(0).get_data_handle();
  for (size_t i = 0; i < st.border.size(); ++i) {
    st.border[i].view.set_data_handle(dst);
    st.border[i].prim.execute(ctx.stream(), {{DNNL_ARG_FROM, st.constant[i]},
                                             {DNNL_ARG_TO, st.border[i].view}});
  }
  st.interior.view.set_data_handle(dst);
  st.interior.prim.execute(ctx.stream(), {{DNNL_ARG_FROM, ctx.input(0)},
                                          {DNNL_ARG_TO, st.interior.view}});
}

void backward(GradContext& ctx) {
  auto& st = ctx.state<PadState>();
  if (!ctx.needsGrad(0)) return;
  st.bwd->view.set_data_handle(ctx.gradOutput(0).get_data_handle());
  st.bwd->prim.execute(ctx.stream(), {{DNNL_ARG_FROM, st.bwd->view},
                                      {DNNL_ARG_TO, ctx.gradInput(0)}});
}

}  // namespace

const OpDef& padOp() {
  static const OpDef def = [] {
    OpDef d("Pad");
    d.input("src").output("dst").doc(
        "constant padding of any rank (ONNX pads: all begins, then all ends)");
    d.requiredAttr("pads", AttrKind::Ints,
                   "2*rank values >= 0: begin of each dim, then end of each");
    d.attr("value", AttrValue::ofFloat(0.f), "value of the padded elements");
    d.shapes(inferShapes).prepare(prepare).forward(forward).backward(backward);
    d.samples([] {
      SampleCase a;
      a.label = "2x3x4x4_hw";
      a.attrs = {{"pads", AttrValue::ofInts({0, 0, 1, 2, 0, 0, 2, 1})}};
      a.inputs = {{2, 3, 4, 4}};
      SampleCase b;
      b.label = "3x13_value0.5";  // 13: not a multiple of 8
      b.attrs = {{"pads", AttrValue::ofInts({1, 0, 0, 2})},
                 {"value", AttrValue::ofFloat(0.5f)}};
      b.inputs = {{3, 13}};
      return std::vector<SampleCase>{a, b};
    });
    return d;
  }();
  return def;
}

}  // namespace tapeflow::ops
