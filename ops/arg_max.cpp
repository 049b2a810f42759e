// ops/arg_max.cpp - ArgMax: dst[n] = argmax_c src[n, c] (int32; the first
//   index on ties). No gradient: the output is integer indices.
// NOTE: oneDNN has no arg-max (reduction_max yields values, not indices), so
// this is one loop over the rows of the plain [N, C] input. NaN never
// compares greater, so it is picked only when it comes first.
#include "ops/op_kit.h"

namespace tapeflow::ops {
namespace {

struct ArgMaxState {
  Relayout toPlain;  ///< src -> plain [N, C]
  int64_t rows = 0, classes = 0;
};

void inferShapes(ShapeContext& ctx) {
  int64_t axis = ctx.attrInt("axis");
  if (axis != 1 && axis != -1)
    ctx.failAttr("axis",
                 "only axis 1 (the last axis of an [N, C] input) is "
                 "supported, found " +
                     std::to_string(axis));
  requireRank(ctx, 0, 2);
  ctx.setOutput(0, {ctx.inputDims(0)[0]}, DType::I32);
}

void prepare(PrepareContext& ctx) {
  auto& st = ctx.makeState<ArgMaxState>();
  const Dims& dims = ctx.inputDims(0);
  st.rows = dims[0];
  st.classes = dims[1];
  st.toPlain = Relayout(ctx, ctx.inputDesc(0), plainDesc(dims));
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<ArgMaxState>();
  dnnl::stream& s = ctx.stream();
  dnnl::memory src = st.toPlain(s, ctx.input(0));
  s.wait();
  const float* x = data(src);
  int32_t* dst = hostPtr<int32_t>(ctx.output(0));
  for (int64_t n = 0; n < st.rows; ++n) {
    const float* row = x + n * st.classes;
    dst[n] = int32_t(rowArgMax(row, st.classes));
  }
}

}  // namespace

const OpDef& argMaxOp() {
  static const OpDef def = [] {
    OpDef d("ArgMax");
    d.input("src")
        .output("dst")
        .attr("axis", AttrValue::ofInt(1),
              "axis to search; only 1 (or -1) of a rank-2 input")
        .doc("index of the largest value of each row (int32, first on ties)")
        .nonDifferentiable("integer indices")
        .shapes(inferShapes)
        .prepare(prepare)
        .forward(forward)
        .flops([](const ShapeContext& ctx) { return numel(ctx.inputDims(0)); })
        .samples([] {
          SampleCase a;
          a.label = "4x10";
          a.inputs = {{4, 10}};
          SampleCase b;
          b.label = "3x13";  // 13: not a multiple of 8
          b.inputs = {{3, 13}};
          return std::vector<SampleCase>{a, b};
        });
    return d;
  }();
  return def;
}

}  // namespace tapeflow::ops
