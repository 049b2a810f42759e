// ops/slice.cpp - Slice: dst = src[starts:ends:steps] along `axes` (ONNX;
//   negative starts/ends count from the end, both are clamped to the dim)
//   d src = d dst scattered back into zeros at the sliced positions
// NOTE: one oneDNN reorder from a view of src (strides times steps, offset
// of the starts) to plain dst; backward zero-fills d src (memset: plain) and
// reorders d dst into the same view of it.
#include <cstring>

#include "ops/internal/axes.h"
#include "ops/internal/strided_view.h"

namespace tapeflow::ops {
namespace {

struct SliceState {
  Relayout toPlain;
  ViewCopy fwd, bwd;
  size_t srcBytes = 0;
};

/// The view of src that dst is (dims, strides and offset into plain src).
StridedView sliceView(const NodeView& ctx) {
  const Dims& in = ctx.inputDims(0);
  const int64_t rank = ctx.inputRank(0);
  const auto& starts = ctx.attrInts("starts");
  const auto& ends = ctx.attrInts("ends");
  if (starts.size() != ends.size())
    ctx.failAttr("ends", "has " + std::to_string(ends.size()) +
                             " entries, 'starts' has " +
                             std::to_string(starts.size()));
  std::vector<int64_t> axes = ctx.attrInts("axes");
  if (!ctx.attrGiven("axes"))
    for (size_t k = 0; k < starts.size(); ++k) axes.push_back(int64_t(k));
  if (axes.size() != starts.size())
    ctx.failAttr("axes", "has " + std::to_string(axes.size()) +
                             " entries, 'starts' has " +
                             std::to_string(starts.size()));
  std::vector<int64_t> steps = ctx.attrInts("steps");
  if (!ctx.attrGiven("steps")) steps.assign(starts.size(), 1);
  if (steps.size() != starts.size())
    ctx.failAttr("steps", "has " + std::to_string(steps.size()) +
                              " entries, 'starts' has " +
                              std::to_string(starts.size()));
  std::vector<int64_t> resolved = resolveAxes(ctx, "axes", axes, rank);
  StridedView v;
  v.dims = in;
  v.strides = plainStrides(in);
  for (size_t k = 0; k < resolved.size(); ++k) {
    const int64_t a = resolved[k], dim = in[size_t(a)], step = steps[k];
    if (step <= 0)
      ctx.failAttr("steps", "must be positive, found " + std::to_string(step) +
                                " for axis " + std::to_string(a) +
                                " (negative steps are not supported)");
    auto clampTo = [dim](int64_t x) {
      if (x < 0) x += dim;
      return std::min(std::max(x, int64_t{0}), dim);
    };
    const int64_t b = clampTo(starts[k]), e = clampTo(ends[k]);
    const int64_t len = e > b ? (e - b + step - 1) / step : 0;
    if (len == 0)
      ctx.fail("slice " + std::to_string(starts[k]) + ":" +
               std::to_string(ends[k]) + ":" + std::to_string(step) +
               " of axis " + std::to_string(a) + " (size " +
               std::to_string(dim) + ") of " + ctx.describeInput(0) +
               " selects no elements");
    v.offset += b * v.strides[size_t(a)];
    v.strides[size_t(a)] *= step;
    v.dims[size_t(a)] = len;
  }
  return v;
}

void inferShapes(ShapeContext& ctx) {
  if (ctx.inputRank(0) < 1)
    ctx.fail(ctx.describeInput(0) + " must have rank >= 1, found 0");
  ctx.setOutput(0, sliceView(ctx).dims);
}

void prepare(PrepareContext& ctx) {
  auto& st = ctx.makeState<SliceState>();
  const dnnl::memory::desc plain = plainDesc(ctx.inputDims(0));
  StridedView view = sliceView(ctx);
  st.toPlain = Relayout(ctx, ctx.inputDesc(0), plain);
  st.fwd = ViewCopy(ctx, view, ViewCopy::Gather, "fwd");
  st.srcBytes = plain.get_size();
  if (!ctx.needsGrad(0)) return;
  st.bwd = ViewCopy(ctx, view, ViewCopy::Scatter, "bwd");
  if (ctx.inputDesc(0) != plain) ctx.setGradInputDesc(0, plain);
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<SliceState>();
  dnnl::memory src = st.toPlain(ctx.stream(), ctx.input(0));
  st.fwd.run(ctx.stream(), src, ctx.output(0));
}

void backward(GradContext& ctx) {
  if (!ctx.needsGrad(0)) return;
  auto& st = ctx.state<SliceState>();
  std::memset(ctx.gradInput(0).get_data_handle(), 0, st.srcBytes);
  st.bwd.run(ctx.stream(), ctx.gradInput(0), ctx.gradOutput(0));
}

}  // namespace

const OpDef& sliceOp() {
  static const OpDef def = [] {
    OpDef d("Slice");
    d.input("src").output("dst").doc(
        "src[starts:ends:steps] along axes (ONNX Slice; ends are clamped)");
    d.requiredAttr("starts", AttrKind::Ints,
                   "first index per axis; negative counts from the end");
    d.requiredAttr("ends", AttrKind::Ints,
                   "one past the last index per axis; clamped to the dim");
    d.attr("axes", AttrValue::ofInts({}), "axes sliced; default 0..len-1");
    d.attr("steps", AttrValue::ofInts({}), "positive step per axis; default 1");
    d.shapes(inferShapes).prepare(prepare).forward(forward).backward(backward);
    d.flops([](const ShapeContext&) { return int64_t{0}; });
    d.samples([] {
      SampleCase a;
      a.label = "2x3x6x5_hw_step2";
      a.attrs = {{"starts", AttrValue::ofInts({1, -4})},
                 {"ends", AttrValue::ofInts({6, 1000})},
                 {"axes", AttrValue::ofInts({2, -1})},
                 {"steps", AttrValue::ofInts({2, 1})}};
      a.inputs = {{2, 3, 6, 5}};
      SampleCase b;
      b.label = "3x13_cols2to11";  // 13: not a multiple of 8
      b.attrs = {{"starts", AttrValue::ofInts({2})},
                 {"ends", AttrValue::ofInts({-2})},
                 {"axes", AttrValue::ofInts({1})}};
      b.inputs = {{3, 13}};
      return std::vector<SampleCase>{a, b};
    });
    return d;
  }();
  return def;
}

}  // namespace tapeflow::ops
