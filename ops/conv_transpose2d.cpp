// ops/conv_transpose2d.cpp - ConvTranspose2D (PyTorch ConvTranspose2d, ONNX
// ConvTranspose), the gradient of Conv2D with respect to its input:
//   dst[n,o,y*s - top + i*d, x*s - left + j*d] += src[n,c,y,x] * w[c,o',i,j]
//   (o = group(c) * O/G + o'), plus bias[o]
//   out = (in - 1) * stride - pad_begin - pad_end + dilation * (k - 1)
//         + output_padding + 1
//   d src = conv of d dst; d weights = src (x) d dst; d bias = sum of d dst
// weights: [C, O/groups, kh, kw]; oneDNN reads them in place as iohw
// (giohw when grouped): the same bytes.
// NOTE: output_padding enlarges the end side only: oneDNN's right padding
// is pad_end - output_padding.
#include <optional>
#include <unordered_map>

#include "ops/internal/axes.h"

namespace tapeflow::ops {
namespace {

using md = dnnl::memory::desc;
using deconv_fwd = dnnl::deconvolution_forward;
using deconv_bwd_data = dnnl::deconvolution_backward_data;
using deconv_bwd_weights = dnnl::deconvolution_backward_weights;

const char* const kAxis[2] = {"height", "width"};

struct Geometry {
  dnnl::memory::dims strides, dilates, padL, padR;  ///< oneDNN conventions
  int64_t groups = 1;
};

std::string num(int64_t v) { return std::to_string(v); }

void checkList(const NodeView& ctx, const char* attr, size_t length,
               int64_t minimum, const char* what) {
  const auto& v = ctx.attrInts(attr);
  if (v.size() != length)
    ctx.failAttr(attr, "must have " + num(int64_t(length)) + " values, found " +
                           intsStr(v));
  for (int64_t x : v)
    if (x < minimum)
      ctx.failAttr(attr, std::string("must be ") + what + ", found " +
                             intsStr(v));
}

Geometry geometryOf(const NodeView& ctx) {
  Geometry g;
  const auto& stride = ctx.attrInts("stride");
  const auto& dil = ctx.attrInts("dilation");
  const auto& pads = ctx.attrInts("pads");
  const auto& outPad = ctx.attrInts("output_padding");
  for (int a = 0; a < 2; ++a) {
    g.strides.push_back(stride[a]);
    g.dilates.push_back(dil[a] - 1);  // oneDNN: 0 is dense
    g.padL.push_back(pads[a]);
    g.padR.push_back(pads[2 + a] - outPad[a]);
  }
  g.groups = ctx.attrInt("groups");
  return g;
}

void inferShapes(ShapeContext& ctx) {
  checkList(ctx, "stride", 2, 1, "positive");
  checkList(ctx, "dilation", 2, 1, "positive (1 = no dilation)");
  checkList(ctx, "pads", 4, 0, "non-negative");
  checkList(ctx, "output_padding", 2, 0, "non-negative");
  const int64_t groups = ctx.attrInt("groups");
  if (groups < 1) ctx.failAttr("groups", "must be positive, found " + num(groups));
  requireRank(ctx, 0, 4);
  requireRank(ctx, 1, 4);
  const Dims& src = ctx.inputDims(0);
  const Dims& w = ctx.inputDims(1);
  if (w[0] != src[1])
    ctx.fail("input 'weights' " + dimsStr(w) + " has " + num(w[0]) +
             " input channels (dim 0), expected " + num(src[1]) +
             " (the channels of src " + dimsStr(src) + ")");
  if (src[1] % groups != 0)
    ctx.fail("input 'src' has " + num(src[1]) +
             " channels, which is not a multiple of groups " + num(groups));
  const int64_t o = w[1] * groups;
  if (ctx.numInputs() > 2 && ctx.inputDims(2) != Dims{o})
    ctx.fail(ctx.describeInput(2) + " must be [" + num(o) +
             "] (one value per output channel)");
  const auto& stride = ctx.attrInts("stride");
  const auto& dil = ctx.attrInts("dilation");
  const auto& pads = ctx.attrInts("pads");
  const auto& outPad = ctx.attrInts("output_padding");
  Dims dst = {src[0], o, 0, 0};
  for (int a = 0; a < 2; ++a) {
    if (outPad[a] >= std::max(stride[a], dil[a]))
      ctx.failAttr("output_padding",
                   num(outPad[a]) + " along " + kAxis[a] +
                       " must be smaller than the stride or the dilation");
    dst[2 + a] = (src[2 + a] - 1) * stride[a] - pads[a] - pads[2 + a] +
                 dil[a] * (w[2 + a] - 1) + outPad[a] + 1;
    if (dst[2 + a] < 1)
      ctx.fail("output " + std::string(kAxis[a]) + " is " + num(dst[2 + a]) +
               ": the pads " + intsStr(pads) + " remove more than the " +
               "transposed convolution produces");
  }
  ctx.setOutput(0, dst);
}

struct ConvTransposeState {
  deconv_fwd fwd;
  Relayout srcToFwd, weightsToFwd;
  dnnl::memory weightsView;  ///< the plain weights, as iohw / giohw
  bool hasBias = false;
  std::optional<deconv_bwd_data> bwdData;
  Relayout diffDstToData, weightsToData, diffSrcOut;
  std::optional<deconv_bwd_weights> bwdWeights;
  Relayout diffDstToWeights, srcToWeights, diffWeightsOut;
  dnnl::memory diffWeights;  ///< gradInput(1) viewed as iohw, or a scratch
  bool weightsGrad = false, biasGrad = false;
};

void prepare(PrepareContext& ctx) {
  Geometry g = geometryOf(ctx);
  const Dims& w = ctx.inputDims(1);
  auto& st = ctx.makeState<ConvTransposeState>();
  st.hasBias = ctx.numInputs() > 2;
  if (!isPlain(ctx.inputDesc(1)))
    ctx.unsupported("transposed convolution needs plain (row-major) weights");
  const int64_t o = ctx.outputDims(0)[1];
  Dims wOp = {o, w[0], w[2], w[3]};
  md userW(toDnnl(wOp), dt::f32, tag::iohw);
  if (g.groups > 1) {
    wOp = {g.groups, o / g.groups, w[0] / g.groups, w[2], w[3]};
    userW = md(toDnnl(wOp), dt::f32, tag::giohw);
  }
  st.weightsView = dnnl::memory(userW, ctx.engine(), DNNL_MEMORY_NONE);
  const auto alg = algorithm::deconvolution_direct;
  md src = anyDesc(ctx.inputDims(0)), wAny = anyDesc(wOp);
  md dst = anyDesc(ctx.outputDims(0));
  md bias = st.hasBias ? ctx.inputDesc(2) : md();
  deconv_fwd::primitive_desc fwdPd;
  try {
    fwdPd = deconv_fwd::primitive_desc(
        {forwardKind(ctx), alg, src, wAny, bias, dst, g.strides, g.dilates,
         g.padL, g.padR},
        ctx.engine());
  } catch (const dnnl::error& e) {
    ctx.unsupported(std::string("oneDNN has no deconvolution for this "
                                "configuration: ") + e.what());
  }
  ctx.noteImpl("fwd", implName(fwdPd));
  st.fwd = deconv_fwd(fwdPd);
  ctx.setOutputDesc(0, fwdPd.dst_desc());
  st.srcToFwd = Relayout(ctx, ctx.inputDesc(0), fwdPd.src_desc());
  st.weightsToFwd = Relayout(ctx, userW, fwdPd.weights_desc());
  if (!ctx.runsBackward()) return;
  if (ctx.needsGrad(0)) {
    deconv_bwd_data::primitive_desc pd(
        {alg, src, wAny, dst, g.strides, g.dilates, g.padL, g.padR},
        ctx.engine(), fwdPd);
    ctx.noteImpl("bwd_data", implName(pd));
    st.bwdData = deconv_bwd_data(pd);
    st.diffDstToData = Relayout(ctx, ctx.outputDesc(0), pd.diff_dst_desc());
    st.weightsToData = Relayout(ctx, userW, pd.weights_desc());
    st.diffSrcOut =
        Relayout(ctx, pd.diff_src_desc(), ctx.inputDesc(0), Relayout::Out);
  }
  st.weightsGrad = ctx.needsGrad(1);
  st.biasGrad = st.hasBias && ctx.needsGrad(2);
  if (!st.weightsGrad && !st.biasGrad) return;
  deconv_bwd_weights::primitive_desc pd(
      {alg, src, wAny, bias, dst, g.strides, g.dilates, g.padL, g.padR},
      ctx.engine(), fwdPd);
  ctx.noteImpl("bwd_weights", implName(pd));
  st.bwdWeights = deconv_bwd_weights(pd);
  st.diffDstToWeights = Relayout(ctx, ctx.outputDesc(0), pd.diff_dst_desc());
  st.srcToWeights = Relayout(ctx, ctx.inputDesc(0), pd.src_desc());
  if (st.weightsGrad) {
    st.diffWeightsOut =
        Relayout(ctx, pd.diff_weights_desc(), userW, Relayout::Out);
    st.diffWeights = dnnl::memory(userW, ctx.engine(), DNNL_MEMORY_NONE);
  } else {  // only the bias gradient is needed, but both are written
    st.diffWeights = ctx.scratch(pd.diff_weights_desc());
  }
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<ConvTransposeState>();
  dnnl::stream& s = ctx.stream();
  st.weightsView.set_data_handle(ctx.input(1).get_data_handle());
  std::unordered_map<int, dnnl::memory> args = {
      {DNNL_ARG_SRC, st.srcToFwd(s, ctx.input(0))},
      {DNNL_ARG_WEIGHTS, st.weightsToFwd(s, st.weightsView)},
      {DNNL_ARG_DST, ctx.output(0)}};
  if (st.hasBias) args[DNNL_ARG_BIAS] = ctx.input(2);
  st.fwd.execute(s, args);
}

void backward(GradContext& ctx) {
  auto& st = ctx.state<ConvTransposeState>();
  dnnl::stream& s = ctx.stream();
  dnnl::memory& diffDst = ctx.gradOutput(0);
  if (st.bwdData) {
    st.bwdData->execute(
        s, {{DNNL_ARG_DIFF_DST, st.diffDstToData(s, diffDst)},
            {DNNL_ARG_WEIGHTS, st.weightsToData(s, st.weightsView)},
            {DNNL_ARG_DIFF_SRC, st.diffSrcOut.target(ctx.gradInput(0))}});
    st.diffSrcOut.finish(s, ctx.gradInput(0));
  }
  if (!st.bwdWeights) return;
  if (st.weightsGrad)
    st.diffWeights.set_data_handle(ctx.gradInput(1).get_data_handle());
  std::unordered_map<int, dnnl::memory> args = {
      {DNNL_ARG_SRC, st.srcToWeights(s, ctx.input(0))},
      {DNNL_ARG_DIFF_DST, st.diffDstToWeights(s, diffDst)},
      {DNNL_ARG_DIFF_WEIGHTS, st.diffWeightsOut.target(st.diffWeights)}};
  if (st.biasGrad) args[DNNL_ARG_DIFF_BIAS] = ctx.gradInput(2);
  st.bwdWeights->execute(s, args);
  st.diffWeightsOut.finish(s, st.diffWeights);
}

}  // namespace

const OpDef& convTranspose2dOp() {
  static const OpDef def = [] {
    OpDef d("ConvTranspose2D");
    d.input("src").input("weights").optionalInput("bias").output("dst");
    d.attr("stride", AttrValue::ofInts({1, 1}), "[height, width], positive");
    d.attr("pads", AttrValue::ofInts({0, 0, 0, 0}),
           "[top, left, bottom, right], removed from the output");
    d.attr("output_padding", AttrValue::ofInts({0, 0}),
           "[height, width] added at the end; < stride or dilation");
    d.attr("dilation", AttrValue::ofInts({1, 1}), "[height, width]; 1 = dense");
    d.attr("groups", AttrValue::ofInt(1), "channel groups; divides C");
    d.doc("2-D transposed convolution, weights [C, O/groups, kh, kw]");
    d.shapes(inferShapes).prepare(prepare).forward(forward).backward(backward);
    d.flops([](const ShapeContext& ctx) {
      const Dims& w = ctx.inputDims(1);
      const Dims& x = ctx.inputDims(0);
      return 2 * numel(x) * w[1] * w[2] * w[3] +
             (ctx.numInputs() > 2 ? numel(ctx.outputDims(0)) : 0);
    });
    d.samples([] {
      SampleCase a;
      a.label = "2x3x4x4_o5_k3_stride2_pad1_outpad1_bias";
      a.attrs = {{"stride", AttrValue::ofInts({2, 2})},
                 {"pads", AttrValue::ofInts({1, 1, 1, 1})},
                 {"output_padding", AttrValue::ofInts({1, 1})}};
      a.inputs = {{2, 3, 4, 4}, {3, 5, 3, 3}, {5}};
      SampleCase b;
      b.label = "1x4x3x5_o6_k2x3_groups2_dilation2";
      b.attrs = {{"groups", AttrValue::ofInt(2)},
                 {"dilation", AttrValue::ofInts({2, 2})}};
      b.inputs = {{1, 4, 3, 5}, {4, 3, 2, 3}};
      return std::vector<SampleCase>{a, b};
    });
    return d;
  }();
  return def;
}

}  // namespace tapeflow::ops
