// ops/split.cpp - Split: dst_i = src[.., off_i : off_i + size_i, ..] along
// `axis` (ONNX Split), one output per part (off_i = sizes before i)
//   d src = [d dst_0, d dst_1, ...] joined along axis (Concat's forward)
// The sizes are `split`, or `num_outputs` (else the node's output count)
// parts of ceil(dim / n), the last one smaller when dim does not divide
// (ONNX opset 18). Forward: one reorder per output from a sub-memory view of
// src; backward: one oneDNN concat of the output gradients. An output nobody
// uses has a zero gradient (the plan's), so its slice of d src is zero.
#include <unordered_map>

#include "ops/op_kit.h"

namespace tapeflow::ops {
namespace {

struct SplitState {
  Relayout plain;                      ///< src -> plain row-major
  std::vector<dnnl::reorder> fwd;      ///< per output: its slice of src -> dst_i
  std::vector<dnnl::memory> slices;    ///< views of plain src, handle set late
  std::optional<dnnl::concat> bwd;     ///< d dst_i joined -> d src (plain)
};

int64_t resolveAxis(const NodeView& ctx) {
  const int64_t rank = ctx.inputRank(0), axis = ctx.attrInt("axis");
  if (axis < -rank || axis >= rank)
    ctx.failAttr("axis", "must be in [" + std::to_string(-rank) + ", " + std::to_string(rank - 1) +
                             "] for a rank " + std::to_string(rank) + " input, found " +
                             std::to_string(axis));
  return axis < 0 ? axis + rank : axis;
}

/// The size of every part along the axis; fails naming what does not fit.
std::vector<int64_t> partSizes(const NodeView& ctx, int64_t dim) {
  const std::vector<int64_t>& split = ctx.attrInts("split");
  const int n = ctx.numOutputs();
  if (!split.empty()) {
    int64_t sum = 0;
    for (size_t i = 0; i < split.size(); ++i) {
      if (split[i] <= 0)
        ctx.failAttr("split", "split[" + std::to_string(i) + "] is " +
                                  std::to_string(split[i]) + "; every part must be positive");
      sum += split[i];
    }
    if (sum != dim)
      ctx.failAttr("split", "sizes add up to " + std::to_string(sum) + ", the axis has " +
                                std::to_string(dim));
    return split;
  }
  const int64_t chunk = (dim + n - 1) / n, last = dim - chunk * (n - 1);
  if (last <= 0)
    ctx.fail("cannot split " + std::to_string(dim) + " into " + std::to_string(n) +
             " parts of " + std::to_string(chunk) + " (the last would be empty); give `split`");
  std::vector<int64_t> out(size_t(n), chunk);
  out.back() = last;
  return out;
}

void inferShapes(ShapeContext& ctx) {
  if (ctx.inputRank(0) < 1) ctx.fail(ctx.describeInput(0) + " must have rank >= 1, found 0");
  const int64_t numOut = ctx.attrInt("num_outputs");
  if (numOut < 0) ctx.failAttr("num_outputs", "must be >= 0 (0: the node's output count)");
  if (numOut > 0 && !ctx.attrInts("split").empty())
    ctx.failAttr("num_outputs", "give either split or num_outputs, not both");
  const int64_t axis = resolveAxis(ctx);
  const Dims& src = ctx.inputDims(0);
  std::vector<int64_t> sizes = partSizes(ctx, src[size_t(axis)]);
  for (size_t i = 0; i < sizes.size(); ++i) {
    Dims d = src;
    d[size_t(axis)] = sizes[i];
    ctx.setOutput(int(i), d);
  }
}

void prepare(PrepareContext& ctx) {
  auto& st = ctx.makeState<SplitState>();
  const int64_t axis = resolveAxis(ctx);
  const dnnl::memory::desc srcMd = plainDesc(ctx.inputDims(0));
  st.plain = Relayout(ctx, ctx.inputDesc(0), srcMd);
  dnnl::memory::dims offsets(size_t(ctx.inputRank(0)), 0);
  std::vector<dnnl::memory::desc> dstMds;
  for (int i = 0; i < ctx.numOutputs(); ++i) {
    const Dims& d = ctx.outputDims(i);
    dnnl::memory::desc slice = srcMd.submemory_desc(toDnnl(d), offsets);
    dnnl::reorder::primitive_desc pd(ctx.engine(), slice, ctx.engine(), ctx.outputDesc(i));
    ctx.noteImpl("fwd" + std::to_string(i), pd.impl_info_str());
    st.fwd.emplace_back(pd);
    st.slices.push_back(dnnl::memory(slice, ctx.engine(), DNNL_MEMORY_NONE));
    dstMds.push_back(ctx.outputDesc(i));
    offsets[size_t(axis)] += d[size_t(axis)];
  }
  if (ctx.needsGrad(0)) {
    ctx.setGradInputDesc(0, srcMd);  // the engine converts to src's layout
    dnnl::concat::primitive_desc bwdPd(srcMd, int(axis), dstMds, ctx.engine());
    ctx.noteImpl("bwd", bwdPd.impl_info_str());
    st.bwd = dnnl::concat(bwdPd);
  }
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<SplitState>();
  void* src = st.plain(ctx.stream(), ctx.input(0)).get_data_handle();
  for (size_t i = 0; i < st.fwd.size(); ++i) {
    st.slices[i].set_data_handle(src);
    st.fwd[i].execute(ctx.stream(), {{DNNL_ARG_FROM, st.slices[i]},
                                     {DNNL_ARG_TO, ctx.output(int(i))}});
  }
}

void backward(GradContext& ctx) {
  auto& st = ctx.state<SplitState>();
  if (!ctx.needsGrad(0)) return;
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_DST, ctx.gradInput(0)}};
  for (size_t i = 0; i < st.fwd.size(); ++i)
    args.insert({DNNL_ARG_MULTIPLE_SRC + int(i), ctx.gradOutput(int(i))});
  st.bwd->execute(ctx.stream(), args);
}

int outputCount(const std::map<std::string, AttrValue>& attrs) {
  auto split = attrs.find("split");
  if (split != attrs.end() && split->second.kind == AttrKind::Ints && !split->second.ints.empty())
    return int(split->second.ints.size());
  auto n = attrs.find("num_outputs");
  if (n != attrs.end() && n->second.kind == AttrKind::Int && n->second.i > 0)
    return int(n->second.i);
  return -1;
}

}  // namespace

const OpDef& splitOp() {
  static const OpDef def = [] {
    OpDef d("Split");
    d.input("src").output("dst").variadicOutputs(1, outputCount);
    d.doc("cuts a tensor along one axis into parts, one output each (ONNX Split)");
    d.attr("axis", AttrValue::ofInt(0), "dimension to cut; negative counts from the end");
    d.attr("split", AttrValue::ofInts({}), "size of each part; empty: equal parts");
    d.attr("num_outputs", AttrValue::ofInt(0),
           "equal parts (the last smaller); 0: as many as the node's outputs");
    d.shapes(inferShapes).prepare(prepare).forward(forward).backward(backward);
    d.samples([] {
      SampleCase a;
      a.label = "2x7x3_axis1_split_2_5";
      a.attrs = {{"axis", AttrValue::ofInt(1)}, {"split", AttrValue::ofInts({2, 5})}};
      a.inputs = {{2, 7, 3}};
      SampleCase b;
      b.label = "3x10_axis-1_num_outputs3";
      b.attrs = {{"axis", AttrValue::ofInt(-1)}, {"num_outputs", AttrValue::ofInt(3)}};
      b.inputs = {{3, 10}};
      return std::vector<SampleCase>{a, b};
    });
    return d;
  }();
  return def;
}

}  // namespace tapeflow::ops
