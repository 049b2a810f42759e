// ops/conv2d.cpp - Conv2D: dst[n,o,y,x] = bias[o] + sum_{c in group(o),i,j}
//   weights[o,c,i,j] * src[n,c, y*sh + i*dh - top, x*sw + j*dw - left]
//   d src = transposed conv of d dst; d weights = src (x) d dst; d bias =
//   d dst summed over n, y, x
// Padding: VALID (none), SAME (TensorFlow: out = ceil(in / stride), the odd
// pixel at the end) or EXPLICIT pads [top, left, bottom, right].
#include <algorithm>
#include <optional>
#include <unordered_map>

#include "ops/internal/conv_pds.h"
#include "ops/internal/conv_state.h"
#include "ops/internal/window.h"
#include "ops/op_kit.h"

namespace tapeflow::ops {
namespace {

using md = dnnl::memory::desc;
using conv_fwd = dnnl::convolution_forward;
using conv_bwd_data = dnnl::convolution_backward_data;
using conv_bwd_weights = dnnl::convolution_backward_weights;

const char* const kAxis[2] = {"height", "width"};

/// Spatial geometry in our conventions (dilation 1 = dense kernel).
struct Geometry {
  int64_t stride[2], dilation[2], kernel[2], span[2];  // span: dilated kernel
  int64_t padBegin[2] = {0, 0}, padEnd[2] = {0, 0};
  int64_t groups;
};

/// Reads attributes and kernel size, resolving SAME pads. Call only after
/// ranks and list lengths are validated.
Geometry geometryOf(const NodeView& ctx) {
  Geometry g;
  const auto& pads = ctx.attrInts("pads");
  PadMode mode = padModeOf(ctx.attrString("padding"));
  g.groups = ctx.attrInt("groups");
  for (int a = 0; a < 2; ++a) {
    g.stride[a] = ctx.attrInts("stride")[a];
    g.dilation[a] = ctx.attrInts("dilation")[a];
    g.kernel[a] = ctx.inputDims(1)[2 + a];
    g.span[a] = windowSpan(g.kernel[a], g.dilation[a]);
    AxisPads given{};
    if (mode == PadMode::Explicit) given = {pads[a], pads[2 + a]};
    AxisPads p = computePads(mode, ctx.inputDims(0)[2 + a], g.kernel[a],
                             g.stride[a], g.dilation[a], given);
    g.padBegin[a] = p.begin;
    g.padEnd[a] = p.end;
  }
  return g;
}

std::string num(int64_t v) { return std::to_string(v); }

/// Checks a list attribute's length and that its values are >= minimum.
void checkList(const ShapeContext& ctx, const char* attr, size_t length,
               int64_t minimum, const char* what) {
  const auto& v = ctx.attrInts(attr);
  std::string found = AttrValue::ofInts(v).str();
  if (v.size() != length)
    ctx.failAttr(attr, "must have " + num(int64_t(length)) + " values, found " +
                           num(int64_t(v.size())) + " (" + found + ")");
  for (int64_t x : v)
    if (x < minimum)
      ctx.failAttr(attr, std::string("must be ") + what + ", found " + found);
}

void inferShapes(ShapeContext& ctx) {
  checkList(ctx, "stride", 2, 1, "positive");
  checkList(ctx, "dilation", 2, 1, "positive (1 = no dilation)");
  checkList(ctx, "pads", 4, 0, "non-negative");
  int64_t groups = ctx.attrInt("groups");
  if (groups < 1)
    ctx.failAttr("groups", "must be positive, found " + num(groups));
  const std::string& padding = ctx.attrString("padding");
  const auto& pads = ctx.attrInts("pads");
  std::string padsStr = AttrValue::ofInts(pads).str();
  if (padding != "EXPLICIT" &&
      std::any_of(pads.begin(), pads.end(), [](int64_t p) { return p != 0; }))
    ctx.failAttr("pads", "non-zero pads need padding \"EXPLICIT\", found " +
                             padsStr + " with padding \"" + padding + "\"");
  requireRank(ctx, 0, 4);
  requireRank(ctx, 1, 4);
  const Dims& src = ctx.inputDims(0);
  const Dims& w = ctx.inputDims(1);
  int64_t c = src[1], o = w[0];
  if (c % groups != 0)
    ctx.fail("input 'src' has " + num(c) +
             " channels, which is not a multiple of groups " + num(groups));
  if (o % groups != 0)
    ctx.fail("input 'weights' has " + num(o) +
             " output channels, which is not a multiple of groups " +
             num(groups));
  if (w[1] != c / groups)
    ctx.fail("input 'weights' has " + num(w[1]) +
             " input channels per group, expected " + num(c / groups) +
             " (src has " + num(c) + " channels, groups " + num(groups) + ")");
  if (ctx.numInputs() > 2) {
    requireRank(ctx, 2, 1);
    if (ctx.inputDims(2)[0] != o)
      ctx.fail("input 'bias' has " + num(ctx.inputDims(2)[0]) +
               " values, expected " + num(o) + " (one per output channel)");
  }
  Geometry g = geometryOf(ctx);
  Dims dst = {src[0], o, 0, 0};
  for (int a = 0; a < 2; ++a) {
    for (int64_t pad : {g.padBegin[a], g.padEnd[a]})
      if (pad >= g.span[a])
        ctx.failAttr("pads", "pad " + num(pad) + " along " + kAxis[a] +
                                 " must be smaller than the dilated kernel " +
                                 "extent " + num(g.span[a]) + ", found " +
                                 padsStr);
    dst[2 + a] = windowOut(ctx, src[2 + a], g.kernel[a], g.stride[a],
                           g.padBegin[a], g.padEnd[a], g.dilation[a], kAxis[a]);
  }
  ctx.setOutput(0, dst);
}

void prepare(PrepareContext& ctx) {
  Geometry g = geometryOf(ctx);
  const Dims& wDims = ctx.inputDims(1);
  auto& st = ctx.makeState<Conv2DState>();
  st.hasBias = ctx.numInputs() > 2;
  // Grouped weights: the same plain memory viewed as [G, O/G, C/G, KH, KW].
  Dims wOpDims = wDims;
  md userWeightsMd = ctx.inputDesc(1);
  if (g.groups > 1) {
    if (!isPlain(userWeightsMd))
      ctx.unsupported("grouped convolution needs plain (row-major) weights");
    wOpDims = {g.groups, wDims[0] / g.groups, wDims[1], wDims[2], wDims[3]};
    userWeightsMd = plainDesc(wOpDims);
  }
  st.weightsView = dnnl::memory(userWeightsMd, ctx.engine(), DNNL_MEMORY_NONE);
  st.weightsGrad = ctx.runsBackward() && ctx.needsGrad(1);
  st.biasGrad = st.hasBias && ctx.runsBackward() && ctx.needsGrad(2);
  if (isInnerProduct(ctx.inputDims(0), wDims, g.groups, g.dilation, g.padBegin,
                     g.padEnd) &&
      prepareInnerProduct(ctx, userWeightsMd, st))
    return;

  ConvWindow win{{g.stride[0], g.stride[1]},
                 {g.dilation[0] - 1, g.dilation[1] - 1},  // 0: dense
                 {g.padBegin[0], g.padBegin[1]},
                 {g.padEnd[0], g.padEnd[1]}};
  std::optional<ConvPds> pds;
  if (prefersNhwc(ctx, g.groups))
    pds = makeConvPds(ctx, win, wOpDims, st.biasGrad, tag::nhwc);
  if (!pds || pds->anyRef())  // no jit kernel on nhwc here: oneDNN's choice
    pds = makeConvPds(ctx, win, wOpDims, st.biasGrad, tag::any);
  const conv_fwd::primitive_desc& fwdPd = pds->fwd;
  ctx.noteImpl("fwd", implName(fwdPd));
  st.fwd = conv_fwd(fwdPd);
  ctx.setOutputDesc(0, fwdPd.dst_desc());
  st.srcToFwd = Relayout(ctx, ctx.inputDesc(0), fwdPd.src_desc());
  // NOTE: parameters are stored plain, so this reorder runs every forward.
  st.weightsToFwd = Relayout(ctx, userWeightsMd, fwdPd.weights_desc());

  md dataDiffDst = ctx.outputDesc(0);  // diff_dst as backward data reads it
  if (pds->data) {
    const auto& pd = *pds->data;
    ctx.noteImpl("bwd_data", implName(pd));
    st.bwdData = conv_bwd_data(pd);
    dataDiffDst = pd.diff_dst_desc();
    st.diffDstToData = Relayout(ctx, ctx.outputDesc(0), dataDiffDst);
    st.weightsForData.init(ctx, userWeightsMd, fwdPd.weights_desc(),
                           pd.weights_desc());
    st.diffSrcOut =
        Relayout(ctx, pd.diff_src_desc(), ctx.inputDesc(0), Relayout::Out);
  }
  if (!pds->weights) return;
  const auto& pd = *pds->weights;
  ctx.noteImpl("bwd_weights", implName(pd));
  st.bwdWeights = conv_bwd_weights(pd);
  // Backward data's diff_dst copy is reused when the layouts agree.
  st.diffDstForWeights.init(ctx, ctx.outputDesc(0), dataDiffDst,
                            pd.diff_dst_desc());
  st.srcForWeights.init(ctx, ctx.inputDesc(0), fwdPd.src_desc(), pd.src_desc());
  if (st.weightsGrad) {
    st.diffWeightsOut =
        Relayout(ctx, pd.diff_weights_desc(), userWeightsMd, Relayout::Out);
    st.diffWeights =
        dnnl::memory(userWeightsMd, ctx.engine(), DNNL_MEMORY_NONE);
  } else {  // only the bias gradient is needed, but both are written
    st.diffWeights = ctx.scratch(pd.diff_weights_desc());
  }
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<Conv2DState>();
  dnnl::stream& s = ctx.stream();
  st.weightsView.set_data_handle(ctx.input(1).get_data_handle());
  st.fwdSrc = st.srcToFwd(s, ctx.input(0));
  st.fwdWeights = st.weightsToFwd(s, st.weightsView);
  std::unordered_map<int, dnnl::memory> args = {
      {DNNL_ARG_SRC, st.fwdSrc},
      {DNNL_ARG_WEIGHTS, st.fwdWeights},
      {DNNL_ARG_DST, ctx.output(0)}};
  if (st.hasBias) args[DNNL_ARG_BIAS] = ctx.input(2);
  if (!st.ip) {
    st.fwd.execute(s, args);
    return;
  }
  st.ip->dst.set_data_handle(ctx.output(0).get_data_handle());
  args[DNNL_ARG_DST] = st.ip->dst;
  st.ip->fwd.execute(s, args);
}

void backward(GradContext& ctx) {
  auto& st = ctx.state<Conv2DState>();
  if (st.ip) return backwardInnerProduct(ctx, st);
  dnnl::stream& s = ctx.stream();
  dnnl::memory& diffDst = ctx.gradOutput(0);
  dnnl::memory diffDstData = diffDst;
  if (st.bwdData) {
    diffDstData = st.diffDstToData(s, diffDst);
    runBackwardData(ctx, st, *st.bwdData, diffDstData);
  }
  if (st.bwdWeights)
    runBackwardWeights(ctx, st, *st.bwdWeights,
                       st.diffDstForWeights(s, diffDst, diffDstData));
}

}  // namespace

const OpDef& conv2dOp() {
  static const OpDef def = [] {
    OpDef d("Conv2D");
    d.input("src").input("weights").optionalInput("bias").output("dst");
    d.attr("stride", AttrValue::ofInts({1, 1}), "[height, width], positive");
    d.attr("padding", AttrValue::ofString("VALID"),
           "VALID (none), SAME (TensorFlow) or EXPLICIT (pads)");
    d.choices({"VALID", "SAME", "EXPLICIT"});
    d.attr("pads", AttrValue::ofInts({0, 0, 0, 0}),
           "[top, left, bottom, right], with padding EXPLICIT only");
    d.attr("dilation", AttrValue::ofInts({1, 1}), "[height, width]; 1 = dense");
    d.attr("groups", AttrValue::ofInt(1), "channel groups; divides C and O");
    d.doc("2-D convolution of NCHW src with OIHW weights, optional bias");
    d.shapes(inferShapes).prepare(prepare).forward(forward).backward(backward);
    d.backwardReads({"src", "weights"});  // not dst: no post-op's backward runs here
    d.acceptsPostOps();
    d.prefersChannelsLast([](const ShapeContext& ctx, int port) {
      return port == 0 && channelsWantNhwc(ctx.inputDims(0), ctx.attrInt("groups"));
    });
    d.flops([](const ShapeContext& ctx) {
      const Dims& w = ctx.inputDims(1);
      const Dims& y = ctx.outputDims(0);
      int64_t outputs = y[0] * y[1] * y[2] * y[3];
      return 2 * outputs * w[1] * w[2] * w[3] +
             (ctx.numInputs() > 2 ? outputs : 0);
    });
    d.samples([] {
      SampleCase a;
      a.label = "2x3x7x7_o5_k3_valid_bias";  // 3 channels: not a multiple of 8
      a.inputs = {{2, 3, 7, 7}, {5, 3, 3, 3}, {5}};
      SampleCase b;
      b.label = "2x4x6x6_o6_k3_groups2_stride2_same_dilation2";
      b.attrs = {{"groups", AttrValue::ofInt(2)},
                 {"stride", AttrValue::ofInts({2, 2})},
                 {"padding", AttrValue::ofString("SAME")},
                 {"dilation", AttrValue::ofInts({2, 2})}};
      b.inputs = {{2, 4, 6, 6}, {6, 2, 3, 3}, {6}};
      return std::vector<SampleCase>{a, b};
    });
    return d;
  }();
  return def;
}

}  // namespace tapeflow::ops
