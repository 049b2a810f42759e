// ops/internal/pool_common.cpp - window attributes of pooling ops.
#include "ops/internal/pool_common.h"

namespace tapeflow::ops {
namespace {

std::string listStr(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

}  // namespace

void addWindowAttrs(OpDef& def, const std::string& strideDefaultDoc) {
  def.attr("stride", AttrValue::ofInts({}),
           "[stride_h, stride_w]; absent: " + strideDefaultDoc);
  def.attr("padding", AttrValue::ofString("VALID"),
           "VALID (none), SAME (TensorFlow: out = ceil(in / stride)) or "
           "EXPLICIT (given by pads)");
  def.choices({"VALID", "SAME", "EXPLICIT"});
  def.attr("pads", AttrValue::ofInts({}),
           "[top, left, bottom, right]; only with padding EXPLICIT");
}

std::array<int64_t, 2> readPair(const NodeView& ctx, const std::string& attr) {
  const std::vector<int64_t>& v = ctx.attrInts(attr);
  if (v.size() != 2)
    ctx.failAttr(attr, "must have 2 values [h, w], found " +
                           std::to_string(v.size()) + " " + listStr(v));
  if (v[0] < 1 || v[1] < 1)
    ctx.failAttr(attr, "values must be positive, found " + listStr(v));
  return {v[0], v[1]};
}

Window2D readWindow(const NodeView& ctx, int input,
                    std::array<int64_t, 2> kernel,
                    std::array<int64_t, 2> dilation,
                    std::array<int64_t, 2> defaultStride) {
  Window2D w;
  w.kernel = kernel;
  w.dilation = dilation;
  w.stride = ctx.attrGiven("stride") ? readPair(ctx, "stride") : defaultStride;
  const std::string& padding = ctx.attrString("padding");
  w.mode = padModeOf(padding);
  const std::vector<int64_t>& pads = ctx.attrInts("pads");
  std::array<AxisPads, 2> given{};
  if (w.mode == PadMode::Explicit) {
    if (pads.size() != 4)
      ctx.failAttr("pads",
                   "must have 4 values [top, left, bottom, right] "
                   "with padding EXPLICIT, found " +
                       std::to_string(pads.size()) + " " + listStr(pads));
    for (int64_t p : pads)
      if (p < 0) ctx.failAttr("pads", "must be >= 0, found " + listStr(pads));
    given = {AxisPads{pads[0], pads[2]}, AxisPads{pads[1], pads[3]}};
  } else if (ctx.attrGiven("pads")) {
    ctx.failAttr("pads",
                 "is only allowed with padding EXPLICIT, found "
                 "padding " +
                     padding);
  }
  const Dims& in = ctx.inputDims(input);
  static const char* kAxis[2] = {"H", "W"};
  for (int a = 0; a < 2; ++a) {
    int64_t size = in[2 + a];
    w.pads[a] = computePads(w.mode, size, kernel[a], w.stride[a], dilation[a],
                            given[a]);
    w.out[a] =
        windowOutSize(size, kernel[a], w.stride[a], dilation[a], w.pads[a]);
    if (w.out[a] < 1)
      ctx.fail("window of " +
               std::to_string(windowSpan(kernel[a], dilation[a])) + " along " +
               kAxis[a] + " is larger than the padded input (" +
               std::to_string(size + w.pads[a].begin + w.pads[a].end) +
               ") of " + ctx.describeInput(input));
  }
  return w;
}

Window2D readPoolWindow(const NodeView& ctx) {
  std::array<int64_t, 2> kernel = readPair(ctx, "kernel");
  Window2D w = readWindow(ctx, 0, kernel, {1, 1}, kernel);
  if (w.mode == PadMode::Explicit)
    for (int a = 0; a < 2; ++a)
      if (w.pads[a].begin >= kernel[a] || w.pads[a].end >= kernel[a])
        ctx.failAttr("pads", "must be smaller than the kernel " +
                                 listStr({kernel[0], kernel[1]}) + ", found " +
                                 listStr(ctx.attrInts("pads")));
  return w;
}

void addPoolAttrs(OpDef& def) {
  def.requiredAttr("kernel", AttrKind::Ints, "[kernel_h, kernel_w]");
  addWindowAttrs(def, "the kernel (non-overlapping windows)");
}

void inferPoolShapes(ShapeContext& ctx) {
  requireRank(ctx, 0, 4);
  Window2D w = readPoolWindow(ctx);
  const Dims& in = ctx.inputDims(0);
  ctx.setOutput(0, {in[0], in[1], w.out[0], w.out[1]});
}

int64_t poolFlops(const ShapeContext& ctx) {
  std::array<int64_t, 2> kernel = readPair(ctx, "kernel");
  return numel(ctx.outputDims(0)) * kernel[0] * kernel[1];
}

OneChannelView oneChannelView(PrepareContext& ctx) {
  OneChannelView v;
  const Dims& in = ctx.inputDims(0);
  if (in[1] != 1 || !isPlain(ctx.inputDesc(0))) return v;
  using tag = dnnl::memory::format_tag;
  auto nhwc = [](const Dims& d) {
    return dnnl::memory::desc(dnnl::memory::dims(d.begin(), d.end()),
                              dnnl::memory::data_type::f32, tag::nhwc);
  };
  v.on = true;
  v.src = nhwc(in);
  v.dst = nhwc(ctx.outputDims(0));
  v.srcMem = dnnl::memory(v.src, ctx.engine(), DNNL_MEMORY_NONE);
  v.dstMem = dnnl::memory(v.dst, ctx.engine(), DNNL_MEMORY_NONE);
  return v;
}

}  // namespace tapeflow::ops
