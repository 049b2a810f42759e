// ops/dropout2d.cpp - Dropout2d (PyTorch nn.Dropout2d, inverted): in
// training whole channels of src [N, C, ...] are dropped:
//   dst[n, c, ...] = src[n, c, ...] * mask[n, c] / (1 - rate),
//   mask[n, c] = 0 with probability rate, else 1
//   d src = d dst * mask[n, c] / (1 - rate);  in inference dst = src
// NOTE: oneDNN has no random number generator, so the [N, C] mask is a loop:
// the counter-based hash Dropout uses, of (ctx.randomSeed(), n * C + c):
// different per step and node, the same for a replayed step. The products
// are one oneDNN binary_mul, the mask [N, C, 1, ...] broadcast over plain
// src.
#include <cstring>
#include <sstream>

#include "ops/op_kit.h"

namespace tapeflow::ops {
namespace {

struct Dropout2dState {
  Relayout toPlain;
  dnnl::binary apply;      ///< x * mask, broadcast over the spatial dims
  dnnl::memory mask;       ///< [N, C, 1, ...]: 0 or 1 / (1 - rate)
  uint32_t dropBelow = 0;  ///< drop when the 24-bit hash is below this
  float keepScale = 1.f;
  bool training = false;
  size_t bytes = 0;
};

inline uint64_t mix(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

void inferShapes(ShapeContext& ctx) {
  if (ctx.inputRank(0) < 2)
    ctx.fail(ctx.describeInput(0) + " must have rank >= 2 ([N, C, ...])");
  float rate = ctx.attrFloat("rate");
  if (!(rate >= 0.f && rate < 1.f)) {
    std::ostringstream os;
    os << "must be in [0, 1), found " << rate;
    ctx.failAttr("rate", os.str());
  }
  ctx.setOutput(0, ctx.inputDims(0));
}

void prepare(PrepareContext& ctx) {
  auto& st = ctx.makeState<Dropout2dState>();
  const Dims& dims = ctx.inputDims(0);
  const dnnl::memory::desc plain = plainDesc(dims);
  st.toPlain = Relayout(ctx, ctx.inputDesc(0), plain);
  st.bytes = plain.get_size();
  st.training = ctx.training();
  if (ctx.needsGrad(0) && ctx.inputDesc(0) != plain)
    ctx.setGradInputDesc(0, plain);
  if (!st.training) return;
  const float rate = ctx.attrFloat("rate");
  st.dropBelow = uint32_t(double(rate) * double(1u << 24));
  st.keepScale = 1.f / (1.f - rate);
  Dims maskDims(dims.size(), 1);
  maskDims[0] = dims[0];
  maskDims[1] = dims[1];
  st.mask = ctx.scratch(plainDesc(maskDims));
  dnnl::binary::primitive_desc pd(
      {algorithm::binary_mul, plain, plainDesc(maskDims), plain}, ctx.engine());
  st.apply = dnnl::binary(pd);
  ctx.noteImpl("mul", pd.impl_info_str());
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<Dropout2dState>();
  dnnl::memory src = st.toPlain(ctx.stream(), ctx.input(0));
  if (!st.training) {
    ctx.stream().wait();
    // NOTE: identity; a copy because the output has its own buffer.
    std::memcpy(ctx.output(0).get_data_handle(), src.get_data_handle(),
                st.bytes);
    return;
  }
  const uint64_t seed = ctx.randomSeed();
  float* mask = data(st.mask);
  const int64_t n = int64_t(st.mask.get_desc().get_size() / sizeof(float));
  for (int64_t i = 0; i < n; ++i) {
    uint32_t u =
        uint32_t(mix(seed + uint64_t(i) * 0x9E3779B97F4A7C15ull) >> 40);
    mask[i] = u < st.dropBelow ? 0.f : st.keepScale;
  }
  st.apply.execute(ctx.stream(), {{DNNL_ARG_SRC_0, src},
                                  {DNNL_ARG_SRC_1, st.mask},
                                  {DNNL_ARG_DST, ctx.output(0)}});
}

void backward(GradContext& ctx) {
  if (!ctx.needsGrad(0)) return;
  auto& st = ctx.state<Dropout2dState>();
  st.apply.execute(ctx.stream(), {{DNNL_ARG_SRC_0, ctx.gradOutput(0)},
                                  {DNNL_ARG_SRC_1, st.mask},
                                  {DNNL_ARG_DST, ctx.gradInput(0)}});
}

}  // namespace

const OpDef& dropout2dOp() {
  static const OpDef def = [] {
    OpDef d("Dropout2d");
    d.input("src")
        .output("dst")
        .attr("rate", AttrValue::ofFloat(0.5f),
              "probability of zeroing a channel in training, in [0, 1)")
        .doc("zeroes random whole channels in training and rescales the rest")
        .shapes(inferShapes)
        .prepare(prepare)
        .forward(forward)
        .backward(backward)
        .flops([](const ShapeContext& ctx) { return numel(ctx.inputDims(0)); })
        .samples([] {
          SampleCase a;
          a.label = "4x3x2x2_rate0.3";
          a.inputs = {{4, 3, 2, 2}};
          a.attrs = {{"rate", AttrValue::ofFloat(0.3f)}};
          SampleCase b;
          b.label = "3x13x5_rate0.5";  // 13: not a multiple of 8
          b.inputs = {{3, 13, 5}};
          b.attrs = {{"rate", AttrValue::ofFloat(0.5f)}};
          return std::vector<SampleCase>{a, b};
        });
    return d;
  }();
  return def;
}

}  // namespace tapeflow::ops
