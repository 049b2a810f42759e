// ops/mat_mul.cpp - MatMul: C = A B, A = op(a) [B?,M,K], B = op(b) [B?,K,N],
//   op(x) = x or x^T (transpose_a / transpose_b);  d A = d C B^T;  d B = A^T d C
// oneDNN has no matmul backward: every gradient is a forward matmul whose
// operands are transposed views (swapped strides) of the same buffers, so
// nothing is copied. A rank-2 b is shared by every batch of a rank-3 a; its
// gradient sums over the batch: with a plain a it is one 2-D matmul over the
// flattened [B*M, K] view, with a transposed a the engine sums [B,K,N] down.
#include <algorithm>

#include "ops/op_kit.h"

namespace tapeflow::ops {
namespace {

enum Buf { kA, kB, kDiffC };

/// One matmul operand: a buffer seen as dims [..., rows, cols]; transposed
/// when the buffer stores [..., cols, rows].
struct Operand {
  Buf buf;
  bool transposed;
  Dims dims;
};

struct Gemm {
  dnnl::matmul prim;
  dnnl::memory src, weights;  // views; handles are set at execution
  Buf srcBuf = kA, weightsBuf = kB;
};

struct MatMulState {
  Gemm fwd;
  std::optional<Gemm> gradA, gradB;
  Relayout a, b;  // producer's layout -> plain
};

std::string str(int64_t v) { return std::to_string(v); }

/// [batch, r, c] for rank-3 problems (batch >= 1), [r, c] otherwise.
Dims dims3(int64_t batch, int64_t r, int64_t c) {
  return batch > 0 ? Dims{batch, r, c} : Dims{r, c};
}

struct Problem {
  bool ta = false, tb = false;
  int64_t batch = 0;   // 0: rank 2
  int64_t bBatch = 0;  // batch of b in the views: batch, 1 (shared) or 0
  int64_t m = 0, k = 0, kb = 0, n = 0;
};

Problem problemOf(const NodeView& ctx) {
  const Dims& a = ctx.inputDims(0);
  const Dims& b = ctx.inputDims(1);
  Problem p;
  p.ta = ctx.attrInt("transpose_a") == 1;
  p.tb = ctx.attrInt("transpose_b") == 1;
  size_t ra = a.size(), rb = b.size();
  p.m = p.ta ? a[ra - 1] : a[ra - 2];
  p.k = p.ta ? a[ra - 2] : a[ra - 1];
  p.kb = p.tb ? b[rb - 1] : b[rb - 2];
  p.n = p.tb ? b[rb - 2] : b[rb - 1];
  if (ra == 3) {
    p.batch = a[0];
    p.bBatch = rb == 3 ? b[0] : 1;
  }
  return p;
}

void inferShapes(ShapeContext& ctx) {
  for (const char* attr : {"transpose_a", "transpose_b"})
    if (int64_t v = ctx.attrInt(attr); v != 0 && v != 1)
      ctx.failAttr(attr, "must be 0 or 1, found " + str(v));
  for (int i : {0, 1})
    if (ctx.inputRank(i) != 2 && ctx.inputRank(i) != 3)
      ctx.fail(ctx.describeInput(i) + " must have rank 2 or 3, found rank " +
               str(ctx.inputRank(i)));
  const Dims& a = ctx.inputDims(0);
  const Dims& b = ctx.inputDims(1);
  if (b.size() == 3 && a.size() == 2)
    ctx.fail("input 'b' " + dimsStr(b) + " is batched but input 'a' " +
             dimsStr(a) + " is not (a rank-3 b needs a rank-3 a)");
  if (b.size() == 3 && a[0] != b[0])
    ctx.fail("batch sizes differ: a " + dimsStr(a) + " has " + str(a[0]) +
             ", b " + dimsStr(b) + " has " + str(b[0]));
  Problem p = problemOf(ctx);
  if (p.k != p.kb) {
    std::string note;
    if (p.ta) note += "transpose_a=1";
    if (p.tb) note += std::string(note.empty() ? "" : ", ") + "transpose_b=1";
    ctx.fail("inner dimensions differ: a " + dimsStr(a) + " has K=" + str(p.k) +
             ", b " + dimsStr(b) + " has K=" + str(p.kb) +
             (note.empty() ? "" : " (" + note + ")"));
  }
  ctx.setOutput(0, dims3(p.batch, p.m, p.n));
}

dnnl::memory::desc viewDesc(const Operand& o) {
  if (!o.transposed) return plainDesc(o.dims);
  const size_t r = o.dims.size();
  const int64_t rows = o.dims[r - 2], cols = o.dims[r - 1];
  dnnl::memory::dims strides(r, rows * cols);
  strides[r - 2] = 1;
  strides[r - 1] = rows;
  return dnnl::memory::desc(toDnnl(o.dims), dt::f32, strides);
}

Gemm makeGemm(PrepareContext& ctx, const Operand& src, const Operand& weights,
              const Dims& dst) {
  dnnl::memory::desc srcMd = viewDesc(src), weightsMd = viewDesc(weights);
  dnnl::matmul::primitive_desc pd({srcMd, weightsMd, plainDesc(dst)},
                                  ctx.engine());
  return {dnnl::matmul(pd),
          dnnl::memory(srcMd, ctx.engine(), DNNL_MEMORY_NONE),
          dnnl::memory(weightsMd, ctx.engine(), DNNL_MEMORY_NONE), src.buf,
          weights.buf};
}

void run(Gemm& g, dnnl::stream& s, void* const bufs[3], const dnnl::memory& dst) {
  g.src.set_data_handle(bufs[g.srcBuf]);
  g.weights.set_data_handle(bufs[g.weightsBuf]);
  g.prim.execute(s, {{DNNL_ARG_SRC, g.src},
                     {DNNL_ARG_WEIGHTS, g.weights},
                     {DNNL_ARG_DST, dst}});
}

void prepare(PrepareContext& ctx) {
  auto& st = ctx.makeState<MatMulState>();
  const Problem p = problemOf(ctx);
  const int64_t B = p.batch, bB = p.bBatch, M = p.m, K = p.k, N = p.n;
  for (int i : {0, 1}) {
    auto plain = plainDesc(ctx.inputDims(i));
    (i == 0 ? st.a : st.b) = Relayout(ctx, ctx.inputDesc(i), plain);
    if (ctx.needsGrad(i) && plain != ctx.inputDesc(i))
      ctx.setGradInputDesc(i, plain);
  }
  st.fwd = makeGemm(ctx, {kA, p.ta, dims3(B, M, K)}, {kB, p.tb, dims3(bB, K, N)},
                    dims3(B, M, N));
  if (ctx.needsGrad(0)) {
    st.gradA = p.ta ? makeGemm(ctx, {kB, p.tb, dims3(bB, K, N)},
                               {kDiffC, true, dims3(B, N, M)}, dims3(B, K, M))
                    : makeGemm(ctx, {kDiffC, false, dims3(B, M, N)},
                               {kB, !p.tb, dims3(bB, N, K)}, dims3(B, M, K));
  }
  if (ctx.needsGrad(1)) {
    // Shared b with a plain a: batches stack into rows, one 2-D product.
    bool flat = B > 0 && bB == 1 && !p.ta;
    int64_t gB = flat ? 0 : B, gM = flat ? B * M : M;
    st.gradB = p.tb ? makeGemm(ctx, {kDiffC, true, dims3(gB, N, gM)},
                               {kA, p.ta, dims3(gB, gM, K)}, dims3(gB, N, K))
                    : makeGemm(ctx, {kA, !p.ta, dims3(gB, K, gM)},
                               {kDiffC, false, dims3(gB, gM, N)}, dims3(gB, K, N));
    if (B > 0 && bB == 1 && !flat)  // per-batch gradients; the engine sums
      ctx.setGradInputDesc(1, plainDesc(p.tb ? dims3(B, N, K) : dims3(B, K, N)));
  }
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<MatMulState>();
  dnnl::stream& s = ctx.stream();
  void* const bufs[3] = {st.a(s, ctx.input(0)).get_data_handle(),
                         st.b(s, ctx.input(1)).get_data_handle(), nullptr};
  run(st.fwd, s, bufs, ctx.output(0));
}

void backward(GradContext& ctx) {
  auto& st = ctx.state<MatMulState>();
  dnnl::stream& s = ctx.stream();
  // Plain a and b as the forward used them (converted copies if any).
  void* const bufs[3] = {st.a.target(ctx.input(0)).get_data_handle(),
                         st.b.target(ctx.input(1)).get_data_handle(),
                         ctx.gradOutput(0).get_data_handle()};
  if (st.gradA && ctx.needsGrad(0)) run(*st.gradA, s, bufs, ctx.gradInput(0));
  if (st.gradB && ctx.needsGrad(1)) run(*st.gradB, s, bufs, ctx.gradInput(1));
}

}  // namespace

const OpDef& matMulOp() {
  static const OpDef def = [] {
    OpDef d("MatMul");
    d.input("a").input("b").output("dst")
        .attr("transpose_a", AttrValue::ofInt(0), "1: use a^T (last two dims)")
        .attr("transpose_b", AttrValue::ofInt(0), "1: use b^T (last two dims)")
        .doc("matrix product a [B?,M,K] x b [B?,K,N]; a rank-2 b is shared "
             "by every batch")
        .shapes(inferShapes).prepare(prepare).forward(forward)
        .backward(backward);
    d.flops([](const ShapeContext& ctx) {
      Problem p = problemOf(ctx);
      return 2 * std::max<int64_t>(p.batch, 1) * p.m * p.n * p.k;
    });
    d.samples([] {
      SampleCase a;
      a.label = "3x5_5x13";  // 13: not a multiple of 8
      a.inputs = {{3, 5}, {5, 13}};
      SampleCase b;
      b.label = "2x3x4_2x4x5";
      b.inputs = {{2, 3, 4}, {2, 4, 5}};
      SampleCase c;
      c.label = "2x3x4_5x4_transpose_b";  // b shared over the batch
      c.attrs = {{"transpose_b", AttrValue::ofInt(1)}};
      c.inputs = {{2, 3, 4}, {5, 4}};
      return std::vector<SampleCase>{a, b, c};
    });
    return d;
  }();
  return def;
}

}  // namespace tapeflow::ops
