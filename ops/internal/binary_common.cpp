// ops/internal/binary_common.cpp - binary ops with numpy broadcasting on
// oneDNN's binary primitive.
//
// oneDNN broadcasts only src1, and src1 must have dst's rank. So a broadcast
// input is viewed as plain with leading 1s, and the op runs as one of:
//   direct       c = a op b                    (a has the output's dims)
//   swapped      c = b op a                    (Add, Mul: only b has them)
//   materialized c = 0 + a, then c = c op b    (Sub, Div, or neither has them)
//
// Layout: a's own layout (e.g. nChw8c from a conv) is kept when both inputs
// have the output's dims and oneDNN has an optimized kernel for it (b is
// brought into a's layout). Otherwise everything is plain.
// NOTE: oneDNN 2.6.3 accepts an nChw8c src0 with a per-channel plain src1
// [1,C,1,1], but only with ref:any (about 500x slower than jit:uni on plain
// at 64x6x14x14), so a broadcast op relayouts a blocked input to plain
// instead. Division on a channel-padded nChw8c (C=3, 13) is ref:any too;
// the probe below catches that. Min and Max always run plain: their backward
// compares (binary_eq), and 2.6.3's jit:uni comparison on nChw8c with an f32
// dst (AVX-512) writes 256 bytes past dst and gives wrong values. Binary post-ops are avoided: in 2.6.3
// jit:uni with an eltwise post-op on nChw8c writes 256 bytes past dst.
#include "ops/internal/binary_common.h"

#include <algorithm>
#include <cstring>

namespace tapeflow::ops {
namespace {

algorithm algOf(BinaryKind k) {
  switch (k) {
    case BinaryKind::Add: return algorithm::binary_add;
    case BinaryKind::Sub: return algorithm::binary_sub;
    case BinaryKind::Mul: return algorithm::binary_mul;
    case BinaryKind::Div: return algorithm::binary_div;
    case BinaryKind::Min: return algorithm::binary_min;
    case BinaryKind::Max: return algorithm::binary_max;
  }
  return algorithm::binary_add;
}

bool commutative(BinaryKind k) {
  return k != BinaryKind::Sub && k != BinaryKind::Div;
}

/// `d` with leading 1s up to `rank` (at least 1: oneDNN has no rank 0).
Dims padTo(const Dims& d, size_t rank) {
  rank = std::max<size_t>({rank, d.size(), 1});
  Dims out(rank - d.size(), 1);
  out.insert(out.end(), d.begin(), d.end());
  return out;
}

using BinaryPd = dnnl::binary::primitive_desc;

dnnl::binary makeBinary(PrepareContext& ctx, algorithm alg,
                        const dnnl::memory::desc& src0,
                        const dnnl::memory::desc& src1,
                        const dnnl::memory::desc& dst) {
  return dnnl::binary(BinaryPd({alg, src0, src1, dst}, ctx.engine()));
}

/// One input as the primitives see it: in the op's layout when it has the
/// output's dims, else plain and viewed with leading 1s (same bytes).
class Operand {
 public:
  Operand() = default;
  Operand(PrepareContext& ctx, int i, const dnnl::memory::desc& layout) {
    const Dims& d = ctx.inputDims(i);
    if (d == ctx.outputDims(0)) {
      relayout_ = Relayout(ctx, ctx.inputDesc(i), layout);
      md_ = layout;
      return;
    }
    dnnl::memory::desc plain = plainDesc(d);
    relayout_ = Relayout(ctx, ctx.inputDesc(i), plain);
    md_ = plainDesc(padTo(d, ctx.outputDims(0).size()));
    if (md_ != plain) view_ = dnnl::memory(md_, ctx.engine(), DNNL_MEMORY_NONE);
  }
  const dnnl::memory::desc& md() const { return md_; }
  /// Converts the input (forward) and returns what to pass to a primitive.
  const dnnl::memory& bind(dnnl::stream& s, const dnnl::memory& in) {
    mem_ = relayout_(s, in);
    if (view_) {
      view_.set_data_handle(mem_.get_data_handle());
      mem_ = view_;
    }
    return mem_;
  }
  /// What the last bind returned (backward reads the forward's conversion).
  const dnnl::memory& mem() const { return mem_; }

 private:
  Relayout relayout_;
  dnnl::memory view_;
  dnnl::memory::desc md_;
  dnnl::memory mem_;
};

struct BinaryState {
  BinaryKind kind = BinaryKind::Add;
  Operand a, b;
  bool swap = false;
  bool materialize = false;
  dnnl::memory zeros;                 // materialized: c = zeros + a
  std::optional<dnnl::binary> fill;
  std::optional<dnnl::binary> fwd;
  std::optional<dnnl::binary> gradA;  // Mul: dc * b; Div: q = dc / b;
                                      // Min, Max: da = dc * mask
  std::optional<dnnl::binary> gradB;  // Mul: dc * a; Div: q * c;
                                      // Min, Max: dc - da
  std::optional<dnnl::binary> select;  // Min, Max: mask = (c == a)
  dnnl::memory mask;
  std::optional<dnnl::eltwise_forward> negate;  // Sub, Div: x -> -x
  dnnl::memory quotient;  // Div: q, Min/Max: da, when da is not needed
  size_t bytes = 0;                   // size of a gradient in the op's layout
};

void inferShapes(ShapeContext& ctx) {
  const Dims& a = ctx.inputDims(0);
  const Dims& b = ctx.inputDims(1);
  Dims out;
  if (!broadcastDims(a, b, &out)) {
    size_t r = std::max(a.size(), b.size());
    Dims pa = padTo(a, r), pb = padTo(b, r);
    for (size_t i = 0; i < r; ++i)
      if (pa[i] != pb[i] && pa[i] != 1 && pb[i] != 1)
        ctx.fail("inputs a " + dimsStr(a) + " and b " + dimsStr(b) +
                 " cannot broadcast: dims " + std::to_string(pa[i]) +
                 " and " + std::to_string(pb[i]) + " differ at axis " +
                 std::to_string(i) + " (aligned right, dims must be equal or 1)");
  }
  ctx.setOutput(0, out);
}

/// a's layout when both inputs have the output's dims and oneDNN runs an
/// optimized kernel on it; plain otherwise (see the NOTE at the top).
dnnl::memory::desc chooseLayout(PrepareContext& ctx, algorithm alg) {
  const Dims& out = ctx.outputDims(0);
  dnnl::memory::desc plain = plainDesc(out);
  const dnnl::memory::desc& aMd = ctx.inputDesc(0);
  if (ctx.inputDims(0) != out || ctx.inputDims(1) != out || aMd == plain)
    return plain;
  // Min/Max compare c == a in backward (see the NOTE at the top).
  if (alg == algorithm::binary_min || alg == algorithm::binary_max)
    return plain;
  BinaryPd probe({alg, aMd, aMd, aMd}, ctx.engine(), /*allow_empty=*/true);
  if (!probe || implName(probe).rfind("ref", 0) == 0) return plain;
  return aMd;
}

void prepare(PrepareContext& ctx, BinaryKind kind) {
  auto& st = ctx.makeState<BinaryState>();
  st.kind = kind;
  const algorithm alg = algOf(kind);
  const dnnl::memory::desc layout = chooseLayout(ctx, alg);
  ctx.setOutputDesc(0, layout);
  st.a = Operand(ctx, 0, layout);
  st.b = Operand(ctx, 1, layout);
  const bool aFull = st.a.md().dims() == layout.dims();
  const bool bFull = st.b.md().dims() == layout.dims();
  st.swap = !aFull && bFull && commutative(kind);
  st.materialize = !aFull && !st.swap;
  if (st.materialize) {
    st.zeros = ctx.scratch(layout);
    std::memset(st.zeros.get_data_handle(), 0, layout.get_size());
    st.fill = makeBinary(ctx, algorithm::binary_add, layout, st.a.md(), layout);
    st.fwd = makeBinary(ctx, alg, layout, st.b.md(), layout);
  } else {
    const Operand& src0 = st.swap ? st.b : st.a;
    const Operand& src1 = st.swap ? st.a : st.b;
    st.fwd = makeBinary(ctx, alg, src0.md(), src1.md(), layout);
  }
  if (!ctx.runsBackward()) return;

  // Gradients are computed in the output's layout; the engine converts a
  // full-size input's gradient and sums a broadcast one down.
  const bool ga = ctx.needsGrad(0), gb = ctx.needsGrad(1);
  for (int i = 0; i < 2; ++i)
    if (ctx.needsGrad(i) && ctx.inputDesc(i) != layout)
      ctx.setGradInputDesc(i, layout);
  st.bytes = layout.get_size();
  auto negation = [&] {
    return dnnl::eltwise_forward(dnnl::eltwise_forward::primitive_desc(
        {prop_kind::forward_inference, algorithm::eltwise_linear, layout,
         -1.f, 0.f},
        ctx.engine()));
  };
  switch (kind) {
    case BinaryKind::Add:
      break;
    case BinaryKind::Sub:
      if (gb) st.negate = negation();
      break;
    case BinaryKind::Mul:
      if (ga) st.gradA = makeBinary(ctx, alg, layout, st.b.md(), layout);
      if (gb) st.gradB = makeBinary(ctx, alg, layout, st.a.md(), layout);
      break;
    case BinaryKind::Div:
      st.gradA = makeBinary(ctx, alg, layout, st.b.md(), layout);
      if (gb) {
        st.gradB = makeBinary(ctx, algorithm::binary_mul, layout, layout, layout);
        st.negate = negation();
        if (!ga) st.quotient = ctx.scratch(layout);
      }
      break;
    case BinaryKind::Min:
    case BinaryKind::Max:
      st.select =
          makeBinary(ctx, algorithm::binary_eq, layout, st.a.md(), layout);
      st.mask = ctx.scratch(layout);
      st.gradA =
          makeBinary(ctx, algorithm::binary_mul, layout, layout, layout);
      if (gb) {
        st.gradB =
            makeBinary(ctx, algorithm::binary_sub, layout, layout, layout);
        if (!ga) st.quotient = ctx.scratch(layout);
      }
      break;
  }
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<BinaryState>();
  dnnl::stream& s = ctx.stream();
  dnnl::memory a = st.a.bind(s, ctx.input(0));
  dnnl::memory b = st.b.bind(s, ctx.input(1));
  dnnl::memory& c = ctx.output(0);
  if (st.materialize) {
    st.fill->execute(s, {{DNNL_ARG_SRC_0, st.zeros}, {DNNL_ARG_SRC_1, a},
                         {DNNL_ARG_DST, c}});
    st.fwd->execute(s, {{DNNL_ARG_SRC_0, c}, {DNNL_ARG_SRC_1, b},
                        {DNNL_ARG_DST, c}});
  } else {
    st.fwd->execute(s, {{DNNL_ARG_SRC_0, st.swap ? b : a},
                        {DNNL_ARG_SRC_1, st.swap ? a : b},
                        {DNNL_ARG_DST, c}});
  }
}

// NOTE: where a gradient equals dc it is copied with memcpy: dc and the
// gradient have the same layout (the op's), so a copy is all a reorder
// primitive would do.
void copyGrad(const BinaryState& st, const dnnl::memory& dc, dnnl::memory& dst) {
  std::memcpy(dst.get_data_handle(), dc.get_data_handle(), st.bytes);
}

void backward(GradContext& ctx) {
  auto& st = ctx.state<BinaryState>();
  dnnl::stream& s = ctx.stream();
  dnnl::memory& dc = ctx.gradOutput(0);
  const bool ga = ctx.needsGrad(0), gb = ctx.needsGrad(1);
  auto run = [&](dnnl::binary& p, const dnnl::memory& x, const dnnl::memory& y,
                 dnnl::memory& out) {
    p.execute(s, {{DNNL_ARG_SRC_0, x}, {DNNL_ARG_SRC_1, y}, {DNNL_ARG_DST, out}});
  };
  auto negate = [&](const dnnl::memory& x, dnnl::memory& out) {
    st.negate->execute(s, {{DNNL_ARG_SRC, x}, {DNNL_ARG_DST, out}});
  };
  switch (st.kind) {
    case BinaryKind::Add:  // da = dc, db = dc
      if (ga) copyGrad(st, dc, ctx.gradInput(0));
      if (gb) copyGrad(st, dc, ctx.gradInput(1));
      break;
    case BinaryKind::Sub:  // da = dc, db = -dc
      if (ga) copyGrad(st, dc, ctx.gradInput(0));
      if (gb) negate(dc, ctx.gradInput(1));
      break;
    case BinaryKind::Mul:  // da = dc * b, db = dc * a
      if (ga) run(*st.gradA, dc, st.b.mem(), ctx.gradInput(0));
      if (gb) run(*st.gradB, dc, st.a.mem(), ctx.gradInput(1));
      break;
    case BinaryKind::Div: {  // da = q = dc / b, db = -q * c
      if (!ga && !gb) break;
      dnnl::memory q = ga ? ctx.gradInput(0) : st.quotient;
      run(*st.gradA, dc, st.b.mem(), q);
      if (gb) {
        dnnl::memory& db = ctx.gradInput(1);
        run(*st.gradB, q, ctx.output(0), db);
        negate(db, db);
      }
      break;
    }
    case BinaryKind::Min:  // mask = (c == a): a was selected (ties: a)
    case BinaryKind::Max: {  // da = dc * mask, db = dc - da
      if (!ga && !gb) break;
      run(*st.select, ctx.output(0), st.a.mem(), st.mask);
      dnnl::memory da = ga ? ctx.gradInput(0) : st.quotient;
      run(*st.gradA, dc, st.mask, da);
      if (gb) run(*st.gradB, dc, da, ctx.gradInput(1));
      break;
    }
  }
}

/// Min, Max: a finite difference across a tie mixes the two sides, so the
/// inputs are drawn on evenly spaced grids (distinctInputs) of an even and
/// an odd size n_a, n_b: a and b then differ by at least 2 / (n_a n_b) of
/// the range, more than the step for n_a n_b < 100.
std::vector<SampleCase> selectSamples() {
  SampleCase rows;
  rows.label = "2x3_by_1x3";
  rows.inputs = {{2, 3}, {1, 3}};
  SampleCase odd;
  odd.label = "13_by_2x1";  // 13: not a multiple of 8
  odd.inputs = {{13}, {2, 1}};
  SampleCase outer;
  outer.label = "4x1_by_1x5";
  outer.inputs = {{4, 1}, {1, 5}};
  std::vector<SampleCase> all{rows, odd, outer};
  for (SampleCase& c : all) c.distinctInputs = true;
  return all;
}

std::vector<SampleCase> samples(const BinarySpec& spec) {
  if (spec.kind == BinaryKind::Min || spec.kind == BinaryKind::Max)
    return selectSamples();
  SampleCase perChannel;
  perChannel.label = "2x3x4x4_by_1x3x1x1";  // a per-channel coefficient
  perChannel.inputs = {{2, 3, 4, 4}, {1, 3, 1, 1}};
  SampleCase row;
  row.label = "3x13_by_13";  // 13: not a multiple of 8; b has lower rank
  row.inputs = {{3, 13}, {13}};
  SampleCase outer;
  outer.label = "4x1_by_1x5";  // both inputs broadcast
  outer.inputs = {{4, 1}, {1, 5}};
  std::vector<SampleCase> all{perChannel, row, outer};
  for (SampleCase& c : all) {
    c.low = spec.sampleLow;
    c.high = spec.sampleHigh;
  }
  return all;
}

}  // namespace

OpDef makeBinaryOp(std::string name, BinarySpec spec, std::string doc) {
  OpDef def(std::move(name));
  def.input("a").input("b").output("c").doc(std::move(doc));
  def.shapes(inferShapes);
  def.flops([](const ShapeContext& ctx) { return numel(ctx.outputDims(0)); });
  def.prepare([kind = spec.kind](PrepareContext& ctx) { prepare(ctx, kind); });
  def.forward(forward);
  def.backward(backward);
  def.samples([spec] { return samples(spec); });
  if (spec.kind == BinaryKind::Add || spec.kind == BinaryKind::Sub)
    def.backwardReads({});  // d c, negated for Sub's b
  if (spec.kind != BinaryKind::Min && spec.kind != BinaryKind::Max) {
    // Min and Max select: their gradient is not a function of the inputs
    // the fused loop keeps, so they never join a chain.
    def.pointwise([kind = spec.kind](const ShapeContext&) {
      PointwiseKind k = kind == BinaryKind::Add   ? PointwiseKind::Add
                        : kind == BinaryKind::Sub ? PointwiseKind::Sub
                        : kind == BinaryKind::Mul ? PointwiseKind::Mul
                                                  : PointwiseKind::Div;
      return std::optional<PointwiseOp>(PointwiseOp{k});
    });
  }
  return def;
}

}  // namespace tapeflow::ops
