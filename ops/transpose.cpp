// ops/transpose.cpp - Transpose: dst[i_perm[0], ..., i_perm[r-1]] = src[i],
//   i.e. dst dim k is src dim perm[k] (ONNX; default perm reverses the dims)
//   d src = transpose of d dst by the inverse permutation
// NOTE: one oneDNN reorder from a view of src with permuted strides to
// plain dst; backward reorders plain d dst into the same view of d src.
#include "ops/internal/axes.h"
#include "ops/internal/strided_view.h"

namespace tapeflow::ops {
namespace {

struct TransposeState {
  Relayout toPlain;
  ViewCopy fwd, bwd;
};

std::vector<int64_t> permOf(const NodeView& ctx) {
  const int64_t rank = ctx.inputRank(0);
  std::vector<int64_t> perm = ctx.attrInts("perm");
  if (!ctx.attrGiven("perm")) {
    perm.resize(size_t(rank));
    for (int64_t k = 0; k < rank; ++k) perm[size_t(k)] = rank - 1 - k;
  }
  if (int64_t(perm.size()) != rank)
    ctx.failAttr("perm", "has " + std::to_string(perm.size()) +
                             " entries, expected " + std::to_string(rank) +
                             " (the rank of " + ctx.describeInput(0) + ")");
  std::vector<bool> seen(size_t(rank), false);
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[size_t(p)])
      ctx.failAttr("perm", intsStr(perm) + " is not a permutation of 0.." +
                               std::to_string(rank - 1));
    seen[size_t(p)] = true;
  }
  return perm;
}

void inferShapes(ShapeContext& ctx) {
  const Dims& in = ctx.inputDims(0);
  std::vector<int64_t> perm = permOf(ctx);
  Dims out(in.size());
  for (size_t k = 0; k < perm.size(); ++k) out[k] = in[size_t(perm[k])];
  ctx.setOutput(0, out);
}

void prepare(PrepareContext& ctx) {
  auto& st = ctx.makeState<TransposeState>();
  const Dims& in = ctx.inputDims(0);
  std::vector<int64_t> perm = permOf(ctx);
  std::vector<int64_t> inStrides = plainStrides(in);
  StridedView view;
  view.dims = ctx.outputDims(0);
  for (int64_t p : perm) view.strides.push_back(inStrides[size_t(p)]);
  const dnnl::memory::desc plain = plainDesc(in);
  st.toPlain = Relayout(ctx, ctx.inputDesc(0), plain);
  st.fwd = ViewCopy(ctx, view, ViewCopy::Gather, "fwd");
  if (!ctx.needsGrad(0)) return;
  st.bwd = ViewCopy(ctx, view, ViewCopy::Scatter, "bwd");
  if (ctx.inputDesc(0) != plain) ctx.setGradInputDesc(0, plain);
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<TransposeState>();
  dnnl::memory src = st.toPlain(ctx.stream(), ctx.input(0));
  st.fwd.run(ctx.stream(), src, ctx.output(0));
}

void backward(GradContext& ctx) {
  if (!ctx.needsGrad(0)) return;
  ctx.state<TransposeState>().bwd.run(ctx.stream(), ctx.gradInput(0),
                                      ctx.gradOutput(0));
}

}  // namespace

const OpDef& transposeOp() {
  static const OpDef def = [] {
    OpDef d("Transpose");
    d.input("src").output("dst").doc(
        "permutes the dims (ONNX Transpose: dst dim k is src dim perm[k])");
    d.attr("perm", AttrValue::ofInts({}),
           "a permutation of 0..rank-1; default reverses the dims");
    d.shapes(inferShapes).prepare(prepare).forward(forward).backward(backward);
    d.flops([](const ShapeContext&) { return int64_t{0}; });
    d.samples([] {
      SampleCase a;
      a.label = "2x3x4x5_perm0231";
      a.attrs = {{"perm", AttrValue::ofInts({0, 2, 3, 1})}};
      a.inputs = {{2, 3, 4, 5}};
      SampleCase b;
      b.label = "3x13_default";  // 13: not a multiple of 8
      b.inputs = {{3, 13}};
      return std::vector<SampleCase>{a, b};
    });
    return d;
  }();
  return def;
}

}  // namespace tapeflow::ops
