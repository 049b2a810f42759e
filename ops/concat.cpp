// ops/concat.cpp - Concat: dst = [src0, src1, ...] joined along `axis`
//   d src_i = d dst[.., off_i : off_i + size_i, ..] (off_i = sizes before i)
// NOTE: dst takes the layout most inputs already have (convolutions hand
// over nChw16c or nChw8c), so that neither Concat nor its consumers convert
// layouts; plain row-major when no input layout can hold every input's slice
// (a blocked axis split at a multiple of the block). Inputs in another layout
// are converted on their way into their slice. The forward copy stays: no
// oneDNN 2.6.3 convolution, pooling or eltwise primitive has a jit kernel for
// a dst (or diff_dst) that is a slice of a larger buffer at batch > 1 (each
// falls back to ref:any), so producers cannot write into dst in place. When
// every input's slice is one run per sample (core/row_view.h: same layout,
// slices starting at a multiple of the block) forward is our own loop of
// row copies, else oneDNN's concat. Backward copies nothing for an input
// whose slice the plan takes as its gradient (gradInputAsView: a Relu or
// other activation that reads its gradient as rows, folded into a
// convolution in inception_mnist, and no other consumer); every other input
// gets its slice by one reorder.
#include <cstring>
#include <unordered_map>

#include "core/row_view.h"
#include "ops/op_kit.h"

namespace tapeflow::ops {
namespace {

struct ConcatState {
  /// Every input is a run of rows of dst (core/row_view.h): forward is
  /// one loop of row copies; else the oneDNN concat `fwd`.
  std::vector<RowView> rows;
  int64_t rowsPerInput = 0;
  dnnl::concat fwd;
  /// Per input (needsGrad only): its slice of diff_dst -> diff_src_i.
  std::vector<std::optional<dnnl::reorder>> bwd;
  std::vector<dnnl::memory> slices;  ///< views of diff_dst, handle set late
};

/// `axis` resolved against rank (negative counts from the end).
int64_t resolveAxis(const NodeView& ctx) {
  const int64_t rank = ctx.inputRank(0), axis = ctx.attrInt("axis");
  if (axis < -rank || axis >= rank)
    ctx.failAttr("axis", "must be in [" + std::to_string(-rank) + ", " +
                             std::to_string(rank - 1) + "] for rank " +
                             std::to_string(rank) + " inputs, found " +
                             std::to_string(axis));
  return axis < 0 ? axis + rank : axis;
}

void inferShapes(ShapeContext& ctx) {
  if (ctx.inputRank(0) < 1)
    ctx.fail(ctx.describeInput(0) + " must have rank >= 1, found 0");
  const int64_t axis = resolveAxis(ctx);
  const Dims& first = ctx.inputDims(0);
  Dims out(first);
  for (int i = 1; i < ctx.numInputs(); ++i) {
    const Dims& d = ctx.inputDims(i);
    std::string which = "input " + std::to_string(i) + " " + dimsStr(d);
    if (d.size() != first.size())
      ctx.fail(which + " has rank " + std::to_string(d.size()) + ", expected " +
               std::to_string(first.size()) + " like input 0 " +
               dimsStr(first));
    for (size_t k = 0; k < d.size(); ++k)
      if (int64_t(k) != axis && d[k] != first[k])
        ctx.fail(which + " differs from input 0 " + dimsStr(first) +
                 " in dimension " + std::to_string(k) + " (" +
                 std::to_string(d[k]) + " vs " + std::to_string(first[k]) +
                 "); only the concat axis " + std::to_string(axis) +
                 " may differ");
    out[axis] += d[axis];
  }
  if (checkedNumel(out) < 0)
    ctx.fail("concatenated shape " + dimsStr(out) +
             " has more than 2^31-1 elements");
  ctx.setOutput(0, out);
}

/// The dense layouts an input may arrive in, by rank (plain first).
std::vector<tag> layoutsOfRank(int rank) {
  switch (rank) {
    case 1: return {tag::a};
    case 2: return {tag::ab};
    case 3: return {tag::abc, tag::acb, tag::aBc8b, tag::aBc16b};
    case 4: return {tag::abcd, tag::acdb, tag::aBcd8b, tag::aBcd16b};
    case 5: return {tag::abcde, tag::acdeb, tag::aBcde8b, tag::aBcde16b};
    case 6: return {tag::abcdef};
    default: return {};
  }
}

/// Input i's layout as a format tag, if it is one of layoutsOfRank.
std::optional<tag> layoutOf(const PrepareContext& ctx, int i) {
  for (tag t : layoutsOfRank(ctx.inputRank(i)))
    if (dnnl::memory::desc(toDnnl(ctx.inputDims(i)), dt::f32, t) ==
        ctx.inputDesc(i))
      return t;
  return std::nullopt;
}

/// The output layout (see the NOTE above): of the inputs' layouts in which
/// every input's slice is a sub-memory, the one most inputs have (the
/// earliest input's on ties); plain when there is none.
dnnl::memory::desc chooseDst(const PrepareContext& ctx, int64_t axis) {
  const int n = ctx.numInputs();
  const dnnl::memory::dims out = toDnnl(ctx.outputDims(0));
  std::vector<std::optional<tag>> have(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) have[size_t(i)] = layoutOf(ctx, i);
  dnnl::memory::desc best = plainDesc(ctx.outputDims(0));
  int bestCount = 0;
  for (int c = 0; c < n; ++c) {
    if (!have[size_t(c)]) continue;
    dnnl::memory::desc md(out, dt::f32, *have[size_t(c)]);
    int count = 0;
    for (int i = 0; i < n; ++i) count += have[size_t(i)] == have[size_t(c)];
    if (count <= bestCount) continue;
    try {  // every slice must be expressible in this layout
      dnnl::memory::dims off(out.size(), 0);
      for (int i = 0; i < n; ++i) {
        (void)md.submemory_desc(toDnnl(ctx.inputDims(i)), off);
        off[size_t(axis)] += ctx.inputDims(i)[size_t(axis)];
      }
    } catch (const dnnl::error&) {
      continue;
    }
    best = md;
    bestCount = count;
  }
  return best;
}

void prepare(PrepareContext& ctx) {
  const int n = ctx.numInputs();
  const int64_t axis = resolveAxis(ctx);
  auto& st = ctx.makeState<ConcatState>();
  ctx.setOutputDesc(0, chooseDst(ctx, axis));
  const dnnl::memory::desc& dstMd = ctx.outputDesc(0);
  std::vector<dnnl::memory::desc> srcMds;
  for (int i = 0; i < n; ++i) srcMds.push_back(ctx.inputDesc(i));
  dnnl::memory::dims at(ctx.inputRank(0), 0);
  for (int i = 0; i < n; ++i) {
    std::optional<RowView> v = rowViewOf(
        dstMd.submemory_desc(toDnnl(ctx.inputDims(i)), at), srcMds[size_t(i)]);
    at[size_t(axis)] += ctx.inputDims(i)[size_t(axis)];
    if (!v || (i > 0 && v->rows != st.rows[0].rows)) {
      st.rows.clear();
      break;
    }
    st.rows.push_back(*v);
  }
  if (!st.rows.empty()) {
    st.rowsPerInput = st.rows[0].rows;
    ctx.noteImpl("fwd", "rows");
  } else {
    dnnl::concat::primitive_desc fwdPd(dstMd, int(axis), srcMds, ctx.engine());
    ctx.noteImpl("fwd", fwdPd.impl_info_str());
    st.fwd = dnnl::concat(fwdPd);
  }
  // A copy within one layout is no conversion; from another layout it is.
  auto converts = [&](int i) {
    std::optional<tag> t = layoutOf(ctx, i);
    return !t || dnnl::memory::desc(toDnnl(ctx.outputDims(0)), dt::f32, *t) !=
                     dstMd;
  };
  for (int i = 0; i < n; ++i)
    if (converts(i)) ctx.countReorder();
  st.bwd.resize(n);
  st.slices.resize(n);
  dnnl::memory::dims offsets(ctx.inputRank(0), 0);
  for (int i = 0; i < n; ++i) {
    if (ctx.needsGrad(i)) {
      dnnl::memory::desc slice =
          dstMd.submemory_desc(toDnnl(ctx.inputDims(i)), offsets);
      if (ctx.gradInputAsView(i, slice)) {  // no copy: the producer reads it
        ctx.noteImpl("bwd" + std::to_string(i), "view");
        offsets[axis] += ctx.inputDims(i)[axis];
        continue;
      }
      dnnl::reorder::primitive_desc pd(ctx.engine(), slice, ctx.engine(),
                                       ctx.inputDesc(i));
      if (converts(i)) ctx.countReorder();
      ctx.noteImpl("bwd" + std::to_string(i), pd.impl_info_str());
      st.bwd[i] = dnnl::reorder(pd);
      st.slices[i] = dnnl::memory(slice, ctx.engine(), DNNL_MEMORY_NONE);
    }
    offsets[axis] += ctx.inputDims(i)[axis];
  }
}

constexpr int64_t kParallelMin = int64_t{1} << 15;  ///< floats

/// Row r of every input to its place in dst, one (input, row) per step.
void copyRows(ExecContext& ctx, const ConcatState& st) {
  const int64_t n = ctx.numInputs(), rows = st.rowsPerInput;
  std::vector<const float*> src(static_cast<size_t>(n), nullptr);
  int64_t total = 0;
  for (int64_t i = 0; i < n; ++i) {
    src[size_t(i)] = data(ctx.input(int(i)));
    total += rows * st.rows[size_t(i)].rowLength;
  }
  float* dst = data(ctx.output(0));
#pragma omp parallel for schedule(static) if (total >= kParallelMin)
  for (int64_t k = 0; k < rows * n; ++k) {
    const int64_t r = k / n, i = k % n;
    const RowView& v = st.rows[size_t(i)];
    std::memcpy(dst + v.offset + r * v.rowStride, src[size_t(i)] + r * v.rowLength,
                size_t(v.rowLength) * sizeof(float));
  }
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<ConcatState>();
  if (!st.rows.empty()) {
    ctx.stream().wait();
    copyRows(ctx, st);
    return;
  }
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_DST, ctx.output(0)}};
  for (int i = 0; i < ctx.numInputs(); ++i)
    args.insert({DNNL_ARG_MULTIPLE_SRC + i, ctx.input(i)});
  st.fwd.execute(ctx.stream(), args);
}

void backward(GradContext& ctx) {
  auto& st = ctx.state<ConcatState>();
  void* diffDst = ctx.gradOutput(0).get_data_handle();
  for (int i = 0; i < ctx.numInputs(); ++i) {
    if (!ctx.needsGrad(i)) continue;
    st.slices[i].set_data_handle(diffDst);
    st.bwd[i]->execute(ctx.stream(), {{DNNL_ARG_FROM, st.slices[i]},
                                      {DNNL_ARG_TO, ctx.gradInput(i)}});
  }
}

}  // namespace

const OpDef& concatOp() {
  static const OpDef def = [] {
    OpDef d("Concat");
    d.input("src").variadic(1).output("dst").doc(
        "joins tensors of equal rank along one axis (other dims must match)");
    d.attr("axis", AttrValue::ofInt(1),
           "dimension to join; negative counts from the end");
    d.shapes(inferShapes).prepare(prepare).forward(forward).backward(backward);
    d.backwardReads({});  // copies (or views) slices of the output gradient only
    d.samples([] {
      SampleCase a;
      a.label = "2x3x4+2x5x4_axis1";
      a.inputs = {{2, 3, 4}, {2, 5, 4}};
      SampleCase b;
      b.label = "3x2+3x7+3x1_axis-1";
      b.attrs = {{"axis", AttrValue::ofInt(-1)}};
      b.inputs = {{3, 2}, {3, 7}, {3, 1}};
      return std::vector<SampleCase>{a, b};
    });
    return d;
  }();
  return def;
}

}  // namespace tapeflow::ops
