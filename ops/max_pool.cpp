// ops/max_pool.cpp - MaxPool: dst[n,c,i,j] = max of src[n,c] over window (i,j)
//   d src[n,c,argmax of window (i,j)] += d dst[n,c,i,j]
// NOTE: padding never wins a window (EXPLICIT pads are smaller than the
// kernel, so every window holds an input pixel). On ties the whole gradient
// goes to the one maximum oneDNN recorded in the workspace.
// NOTE: a plain input with one channel that needs a gradient runs the loop
// below, not oneDNN: 2.6.3 has only its reference kernel (simple_nchw) for
// nchw with C = 1, and its jit kernel for the same bytes seen as nhwc
// vectorises over channels, one lane of 16 busy; its backward is slower
// than the reference's. Forward only, that jit kernel is the fastest and
// runs. Measured at [64,1,28,28], 2x2 (README, "Pooling a one-channel
// image"). The loop gives ties to the first maximum in row-major order.
#include <algorithm>
#include <limits>
#include <unordered_map>

#include "ops/internal/pool_common.h"

namespace tapeflow::ops {
namespace {

/// The geometry of a one-channel pooling: images, sizes, window, pads.
struct OneChannelLoop {
  bool on = false;
  int64_t n = 0, h = 0, w = 0, oh = 0, ow = 0, kh = 0, kw = 0, sh = 0, sw = 0,
          top = 0, left = 0;
  dnnl::memory argmax;  ///< s32 per output: flat index into its image

  void forward(const float* src, float* dst, int32_t* at) const {
    const bool parallel = n > 1 && n * h * w >= (int64_t{1} << 14);
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t b = 0; b < n; ++b)
      for (int64_t i = 0; i < oh; ++i) {
        const int64_t o = (b * oh + i) * ow;
        if (at)
          row<true>(src + b * h * w, i, dst + o, at + o);
        else
          row<false>(src + b * h * w, i, dst + o, nullptr);
      }
  }

  /// Output row i of one image: the window rows and columns as the outer
  /// loops, so that the inner loop runs along the row without branches.
  template <bool kArgmax>
  void row(const float* x, int64_t i, float* best, int32_t* at) const {
    std::fill(best, best + ow, -std::numeric_limits<float>::infinity());
    if (kArgmax) std::fill(at, at + ow, -1);
    for (int64_t y = i * sh - top; y < i * sh - top + kh; ++y) {
      if (y < 0 || y >= h) continue;
      for (int64_t kx = 0; kx < kw; ++kx) {
        // Columns j whose pixel z = j * sw - left + kx lies in [0, w).
        const int64_t lo = std::max<int64_t>(0, (left - kx + sw - 1) / sw);
        const int64_t last = w - 1 + left - kx;
        const int64_t hi = last < 0 ? 0 : std::min(ow, last / sw + 1);
        const float* p = x + y * w + kx - left;
        for (int64_t j = lo; j < hi; ++j) {
          const float v = p[j * sw];
          if (kArgmax) {
            const bool take = v > best[j] || at[j] < 0;
            best[j] = take ? v : best[j];
            at[j] = take ? int32_t(y * w + j * sw + kx - left) : at[j];
          } else {
            best[j] = v > best[j] ? v : best[j];
          }
        }
      }
    }
  }

  void backward(const float* diffDst, const int32_t* at, float* diffSrc) const {
    const bool parallel = n > 1 && n * h * w >= (int64_t{1} << 14);
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t b = 0; b < n; ++b) {
      float* dx = diffSrc + b * h * w;
      std::fill(dx, dx + h * w, 0.f);
      for (int64_t o = b * oh * ow; o < (b + 1) * oh * ow; ++o)
        dx[at[o]] += diffDst[o];
    }
  }
};

struct MaxPoolState {
  OneChannelLoop loop;
  dnnl::pooling_forward fwd;
  dnnl::memory workspace;  ///< argmax per window (forward_training only)
  std::optional<dnnl::pooling_backward> bwd;
  Relayout diffDst;  ///< output layout -> the backward pd's diff_dst
  OneChannelView view;  ///< one plain channel, forward only
};

void prepare(PrepareContext& ctx) {
  Window2D w = readPoolWindow(ctx);
  auto& st = ctx.makeState<MaxPoolState>();
  const Dims& in = ctx.inputDims(0);
  if (in[1] == 1 && isPlain(ctx.inputDesc(0)) && ctx.needsGrad(0)) {
    st.loop = {true, in[0], in[2], in[3], w.out[0], w.out[1], w.kernel[0],
               w.kernel[1], w.stride[0], w.stride[1], w.pads[0].begin,
               w.pads[1].begin, {}};
    st.loop.argmax = ctx.scratch(plainDesc(ctx.outputDims(0), DType::I32));
    ctx.noteImpl("fwd", "loop:one_channel");
    ctx.noteImpl("bwd", "loop:one_channel");
    return;  // output and gradients plain
  }
  // src keeps its producer's layout (pooling cannot take `any` for src);
  // one plain channel without a backward is seen as nhwc (OneChannelView),
  // where the jit forward beats the loop. Without a backward no workspace
  // is written (forward_inference).
  if (!ctx.needsGrad(0)) st.view = oneChannelView(ctx);
  const dnnl::memory::desc srcMd = st.view.on ? st.view.src : ctx.inputDesc(0);
  dnnl::pooling_forward::primitive_desc fwdPd(
      {ctx.needsGrad(0) ? forwardKind(ctx) : prop_kind::forward_inference,
       algorithm::pooling_max, srcMd,
       st.view.on ? st.view.dst : anyDesc(ctx.outputDims(0)), w.strideDims(),
       w.kernelDims(), w.padL(), w.padR()},
      ctx.engine());
  ctx.setOutputDesc(0, st.view.on ? plainDesc(ctx.outputDims(0))
                                  : fwdPd.dst_desc());
  ctx.noteImpl("fwd", fwdPd.impl_info_str());
  st.fwd = dnnl::pooling_forward(fwdPd);
  if (fwdPd.workspace_desc().get_size() > 0)
    st.workspace = ctx.scratch(fwdPd.workspace_desc());
  if (!ctx.needsGrad(0)) return;
  dnnl::pooling_backward::primitive_desc bwdPd(
      {algorithm::pooling_max, srcMd, fwdPd.dst_desc(), w.strideDims(),
       w.kernelDims(), w.padL(), w.padR()},
      ctx.engine(), fwdPd);
  st.bwd = dnnl::pooling_backward(bwdPd);
  ctx.noteImpl("bwd", bwdPd.impl_info_str());
  st.diffDst = Relayout(ctx, ctx.outputDesc(0), bwdPd.diff_dst_desc());
  ctx.setGradInputDesc(0, bwdPd.diff_src_desc());
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<MaxPoolState>();
  if (st.loop.on) {
    st.loop.forward(data(ctx.input(0)), data(ctx.output(0)),
                    st.loop.argmax ? hostPtr<int32_t>(st.loop.argmax) : nullptr);
    return;
  }
  auto& v = st.view;
  std::unordered_map<int, dnnl::memory> args{
      {DNNL_ARG_SRC, v.on ? v.of(v.srcMem, ctx.input(0)) : ctx.input(0)},
      {DNNL_ARG_DST, v.on ? v.of(v.dstMem, ctx.output(0)) : ctx.output(0)}};
  if (st.workspace) args.insert({DNNL_ARG_WORKSPACE, st.workspace});
  st.fwd.execute(ctx.stream(), args);
}

void backward(GradContext& ctx) {
  auto& st = ctx.state<MaxPoolState>();
  if (!ctx.needsGrad(0)) return;
  if (st.loop.on) {
    st.loop.backward(data(ctx.gradOutput(0)), hostPtr<int32_t>(st.loop.argmax),
                     data(ctx.gradInput(0)));
    return;
  }
  st.bwd->execute(ctx.stream(),
                  {{DNNL_ARG_DIFF_DST, st.diffDst(ctx.stream(), ctx.gradOutput(0))},
                   {DNNL_ARG_WORKSPACE, st.workspace},
                   {DNNL_ARG_DIFF_SRC, ctx.gradInput(0)}});
}

}  // namespace

const OpDef& maxPoolOp() {
  static const OpDef def = [] {
    OpDef d("MaxPool");
    d.input("src").output("dst").doc(
        "2-D max pooling over [N,C,H,W] (VALID, SAME or EXPLICIT padding)");
    addPoolAttrs(d);
    d.shapes(inferPoolShapes).flops(poolFlops);
    d.prepare(prepare).forward(forward).backward(backward);
    d.backwardReads({});  // the workspace (or argmax) says where each max came from
    d.samples([] {
      // Distinct inputs spread over [-4, 4): any two values are more than one
      // step (1e-2) apart, so no finite difference changes a window's max.
      SampleCase a;
      a.label = "2x3x6x6_k2";
      a.attrs = {{"kernel", AttrValue::ofInts({2, 2})}};
      a.inputs = {{2, 3, 6, 6}};
      SampleCase b;
      b.label = "1x13x5x5_k3_s2_same";  // 13: not a multiple of 8
      b.attrs = {{"kernel", AttrValue::ofInts({3, 3})},
                 {"stride", AttrValue::ofInts({2, 2})},
                 {"padding", AttrValue::ofString("SAME")}};
      b.inputs = {{1, 13, 5, 5}};
      for (SampleCase* c : {&a, &b}) {
        c->distinctInputs = true;
        c->low = -4.f;
        c->high = 4.f;
      }
      return std::vector<SampleCase>{a, b};
    });
    return d;
  }();
  return def;
}

}  // namespace tapeflow::ops
