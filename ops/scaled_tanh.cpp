// ops/scaled_tanh.cpp - ScaledTanh (LeCun 1998): dst = a * tanh(s * src)
//   d src = d dst * (s / a) * (a^2 - dst^2)
// NOTE: the gradient is computed from dst, so ScaledTanh folds into a
// producing Conv2D/Linear as the post-op chain linear(s), tanh (scale a).
#include <cmath>

#include "ops/op_kit.h"

namespace tapeflow::ops {
namespace {

struct ScaledTanhState {
  // Forward: dst = s * src, then tanh and * a in place on dst.
  // NOTE: three eltwise primitives, not one with post-ops (linear with a
  // tanh post-op runs ref:any) and not a loop over std::tanh (at [64,84] and
  // [64,120] the primitives took 6-8 us, a scalar tanh loop 70-110 us).
  std::optional<dnnl::eltwise_forward> scaleIn, tanh, scaleOut;
  float a = 1.f, s = 1.f;
  int64_t count = 0;  ///< floats in the buffer (padding included)
};

void inferShapes(ShapeContext& ctx) {
  for (const char* name : {"a", "s"}) {
    float v = ctx.attrFloat(name);
    if (!std::isfinite(v))
      ctx.failAttr(name,
                   "must be finite, found " + AttrValue::ofFloat(v).str());
  }
  if (ctx.attrFloat("a") == 0.f)
    ctx.failAttr("a", "must be nonzero (backward divides by it), found 0");
  ctx.setOutput(0, ctx.inputDims(0));
}

void prepare(PrepareContext& ctx) {
  auto& st = ctx.makeState<ScaledTanhState>();
  st.a = ctx.attrFloat("a");
  st.s = ctx.attrFloat("s");
  const auto& md = ctx.inputDesc(0);
  st.count = int64_t(md.get_size() / sizeof(float));
  if (ctx.isFused()) return;  // the producer's post-ops compute dst
  ctx.setOutputDesc(0, md);
  auto eltwise = [&](algorithm alg, float alpha) {
    return dnnl::eltwise_forward(dnnl::eltwise_forward::primitive_desc(
        {forwardKind(ctx), alg, md, alpha, 0.f}, ctx.engine()));
  };
  st.scaleIn = eltwise(algorithm::eltwise_linear, st.s);
  st.tanh = eltwise(algorithm::eltwise_tanh, 0.f);
  st.scaleOut = eltwise(algorithm::eltwise_linear, st.a);
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<ScaledTanhState>();
  dnnl::memory& dst = ctx.output(0);
  st.scaleIn->execute(ctx.stream(),
                      {{DNNL_ARG_SRC, ctx.input(0)}, {DNNL_ARG_DST, dst}});
  st.tanh->execute(ctx.stream(), {{DNNL_ARG_SRC, dst}, {DNNL_ARG_DST, dst}});
  st.scaleOut->execute(ctx.stream(),
                       {{DNNL_ARG_SRC, dst}, {DNNL_ARG_DST, dst}});
}

// NOTE: a loop because no oneDNN eltwise backward computes (s/a)(a^2 - y^2)
// from y = a tanh(s x) (tanh_use_dst wants tanh(s x) itself: a rescaled copy
// of dst plus a second pass). dst, diff_dst and diff_src share one memory
// desc, so walking the raw buffer is layout-agnostic.
void backward(GradContext& ctx) {
  if (!ctx.needsGrad(0)) return;
  auto& st = ctx.state<ScaledTanhState>();
  ctx.stream().wait();
  const float* y = data(ctx.output(0));
  const float* dy = data(ctx.gradOutput(0));
  float* dx = data(ctx.gradInput(0));
  const float k = st.s / st.a, a2 = st.a * st.a;
  for (int64_t i = 0; i < st.count; ++i) dx[i] = dy[i] * k * (a2 - y[i] * y[i]);
}

}  // namespace

const OpDef& scaledTanhOp() {
  static const OpDef def =
      OpDef("ScaledTanh")
          .input("src")
          .output("dst")
          .attr("a", AttrValue::ofFloat(1.7159f), "output scale A")
          .attr("s", AttrValue::ofFloat(0.6666667f), "input scale S")
          .doc("LeCun's scaled tanh, a * tanh(s * x)")
          .shapes(inferShapes)
          .prepare(prepare)
          .forward(forward)
          .backward(backward)
          .flops([](const ShapeContext& ctx) {
            return 3 * numel(ctx.inputDims(0));
          })
          .fusesAsPostOp([](const ShapeContext& ctx) {
            return std::vector<PostOpSpec>{
                {algorithm::eltwise_linear, ctx.attrFloat("s"), 0.f, 1.f},
                {algorithm::eltwise_tanh, 0.f, 0.f, ctx.attrFloat("a")}};
          })
          .pointwise([](const ShapeContext& ctx) {
            return std::optional<PointwiseOp>(
                PointwiseOp{PointwiseKind::ScaledTanh, ctx.attrFloat("a"),
                            ctx.attrFloat("s")});
          })
          .samples([] {
            SampleCase a;
            a.label = "2x3x4x5";
            a.inputs = {{2, 3, 4, 5}};
            SampleCase b;
            b.label = "3x13_a2_s1.5";  // 13: not a multiple of 8
            b.inputs = {{3, 13}};
            b.attrs = {{"a", AttrValue::ofFloat(2.f)},
                       {"s", AttrValue::ofFloat(1.5f)}};
            return std::vector<SampleCase>{a, b};
          });
  return def;
}

}  // namespace tapeflow::ops
