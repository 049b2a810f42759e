// ops/dropout.cpp - Dropout (inverted): in training
//   dst = src * mask / (1 - rate), mask[i] = 0 with probability rate, else 1
//   d src = d dst * mask / (1 - rate);  in inference dst = src (a copy)
// NOTE: oneDNN has no random number generator, so the mask is a loop: a
// counter-based hash of (ctx.randomSeed(), element index), which differs per
// step and node and repeats exactly for the same step (finite differences,
// replays). It is stored already scaled (0 or 1 / (1 - rate)) in a scratch
// of src's layout; both products are oneDNN binary_mul. The op is elementwise
// on identical layouts, so it keeps src's layout (padding included).
#include <cstring>
#include <sstream>

#include "ops/op_kit.h"

namespace tapeflow::ops {
namespace {

struct DropoutState {
  dnnl::binary apply;      ///< dst = src * mask (training)
  dnnl::memory mask;       ///< 0 or 1 / (1 - rate), src's layout
  uint32_t dropBelow = 0;  ///< drop when the 24-bit hash is below this
  float keepScale = 1.f;
  bool training = false;
};

// SplitMix64's finalizer over a counter: a fast, well-mixed hash.
inline uint64_t mix(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

void inferShapes(ShapeContext& ctx) {
  float rate = ctx.attrFloat("rate");
  if (!(rate >= 0.f && rate < 1.f)) {
    std::ostringstream os;
    os << "must be in [0, 1), found " << rate;
    ctx.failAttr("rate", os.str());
  }
  ctx.setOutput(0, ctx.inputDims(0));
}

void prepare(PrepareContext& ctx) {
  auto& st = ctx.makeState<DropoutState>();
  const dnnl::memory::desc& md = ctx.inputDesc(0);
  ctx.setOutputDesc(0, md);
  st.training = ctx.training();
  if (!st.training) return;
  const float rate = ctx.attrFloat("rate");
  st.dropBelow = uint32_t(double(rate) * double(1u << 24));
  st.keepScale = 1.f / (1.f - rate);
  st.mask = ctx.scratch(md);
  // Forward and backward are the same product: x * mask.
  dnnl::binary::primitive_desc pd({algorithm::binary_mul, md, md, md},
                                  ctx.engine());
  st.apply = dnnl::binary(pd);
  ctx.noteImpl("mul", pd.impl_info_str());
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<DropoutState>();
  if (!st.training) {
    // NOTE: identity; a copy because the output has its own buffer.
    std::memcpy(ctx.output(0).get_data_handle(), ctx.input(0).get_data_handle(),
                ctx.input(0).get_desc().get_size());
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
  st.apply.execute(ctx.stream(), {{DNNL_ARG_SRC_0, ctx.input(0)},
                                  {DNNL_ARG_SRC_1, st.mask},
                                  {DNNL_ARG_DST, ctx.output(0)}});
}

void backward(GradContext& ctx) {
  if (!ctx.needsGrad(0)) return;
  auto& st = ctx.state<DropoutState>();
  st.apply.execute(ctx.stream(), {{DNNL_ARG_SRC_0, ctx.gradOutput(0)},
                                  {DNNL_ARG_SRC_1, st.mask},
                                  {DNNL_ARG_DST, ctx.gradInput(0)}});
}

}  // namespace

const OpDef& dropoutOp() {
  static const OpDef def = [] {
    OpDef d("Dropout");
    d.input("src")
        .output("dst")
        .attr("rate", AttrValue::ofFloat(0.5f),
              "probability of zeroing an element in training, in [0, 1)")
        .doc("zeroes random elements in training and rescales the rest")
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
          b.label = "3x13_rate0.5";  // 13: not a multiple of 8
          b.inputs = {{3, 13}};
          b.attrs = {{"rate", AttrValue::ofFloat(0.5f)}};
          return std::vector<SampleCase>{a, b};
        });
    return d;
  }();
  return def;
}

}  // namespace tapeflow::ops
