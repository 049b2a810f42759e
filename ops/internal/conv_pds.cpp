// ops/internal/conv_pds.cpp - see conv_pds.h.
#include "ops/internal/conv_pds.h"

namespace tapeflow::ops {

using md = dnnl::memory::desc;
using conv_fwd = dnnl::convolution_forward;
using conv_bwd_data = dnnl::convolution_backward_data;
using conv_bwd_weights = dnnl::convolution_backward_weights;

namespace {
bool isRef(const std::string& impl) { return impl.rfind("ref", 0) == 0; }
}  // namespace

bool ConvPds::anyRef() const {
  return isRef(implName(fwd)) || (data && isRef(implName(*data))) ||
         (weights && isRef(implName(*weights)));
}

bool IpPds::anyRef() const {
  return isRef(implName(fwd)) || (data && isRef(implName(*data))) ||
         (weights && isRef(implName(*weights)));
}

bool channelsWantNhwc(const Dims& src, int64_t groups) {
  return groups == 1 && src.size() == 4 && src[1] >= 4 && src[1] % 8 != 0;
}

bool prefersNhwc(const PrepareContext& ctx, int64_t groups) {
  const Dims& src = ctx.inputDims(0);
  if (groups != 1 || src[1] < 4) return false;
  return channelsWantNhwc(src, groups) ||
         ctx.inputDesc(0) == md(toDnnl(src), dt::f32, tag::nhwc);
}

ConvPds makeConvPds(PrepareContext& ctx, const ConvWindow& win,
                    const Dims& weights, bool biasGrad, tag act) {
  const auto alg = algorithm::convolution_direct;
  const auto& [strides, dilates, padL, padR] = win;
  md src(toDnnl(ctx.inputDims(0)), dt::f32, act), w = anyDesc(weights);
  md dst(toDnnl(ctx.outputDims(0)), dt::f32, act);
  const bool hasBias = ctx.numInputs() > 2;
  md bias = hasBias ? ctx.inputDesc(2) : md();
  auto fwdDesc = hasBias ? conv_fwd::desc(forwardKind(ctx), alg, src, w, bias,
                                          dst, strides, dilates, padL, padR)
                         : conv_fwd::desc(forwardKind(ctx), alg, src, w, dst,
                                          strides, dilates, padL, padR);
  dnnl::primitive_attr attr;
  if (ctx.hasPostOps()) attr.set_post_ops(ctx.postOps());
  ConvPds p{conv_fwd::primitive_desc(fwdDesc, attr, ctx.engine()), {}, {}};
  if (!ctx.runsBackward()) return p;
  if (ctx.needsGrad(0))
    p.data.emplace(conv_bwd_data::desc(alg, src, w, dst, strides, dilates,
                                       padL, padR),
                   ctx.engine(), p.fwd);
  if (!ctx.needsGrad(1) && !biasGrad) return p;
  auto bwdDesc = biasGrad ? conv_bwd_weights::desc(alg, src, w, bias, dst,
                                                   strides, dilates, padL, padR)
                          : conv_bwd_weights::desc(alg, src, w, dst, strides,
                                                   dilates, padL, padR);
  p.weights.emplace(bwdDesc, ctx.engine(), p.fwd);
  return p;
}

bool isInnerProduct(const Dims& src, const Dims& weights, int64_t groups,
                    const int64_t dilation[2], const int64_t padBegin[2],
                    const int64_t padEnd[2]) {
  if (groups != 1) return false;
  for (int a = 0; a < 2; ++a)
    if (dilation[a] != 1 || padBegin[a] != 0 || padEnd[a] != 0 ||
        weights[2 + a] != src[2 + a])
      return false;
  return true;
}

std::optional<IpPds> makeIpPds(PrepareContext& ctx, const md& src, const md& w,
                               bool biasGrad) {
  using ip_fwd = dnnl::inner_product_forward;
  using ip_bwd_data = dnnl::inner_product_backward_data;
  using ip_bwd_weights = dnnl::inner_product_backward_weights;
  const Dims& out = ctx.outputDims(0);
  md dst({out[0], out[1]}, dt::f32, tag::ab);
  const bool hasBias = ctx.numInputs() > 2;
  md bias = hasBias ? ctx.inputDesc(2) : md();
  dnnl::primitive_attr attr;
  if (ctx.hasPostOps()) attr.set_post_ops(ctx.postOps());
  try {
    auto fwdDesc = hasBias ? ip_fwd::desc(forwardKind(ctx), src, w, bias, dst)
                           : ip_fwd::desc(forwardKind(ctx), src, w, dst);
    IpPds p{ip_fwd::primitive_desc(fwdDesc, attr, ctx.engine()), {}, {}};
    if (!ctx.runsBackward()) return p;
    const md& fwdSrc = p.fwd.src_desc();
    if (ctx.needsGrad(0))
      p.data.emplace(ip_bwd_data::desc(fwdSrc, w, dst), ctx.engine(), p.fwd);
    if (!ctx.needsGrad(1) && !biasGrad) return p;
    auto bwdDesc = biasGrad ? ip_bwd_weights::desc(fwdSrc, w, bias, dst)
                            : ip_bwd_weights::desc(fwdSrc, w, dst);
    p.weights.emplace(bwdDesc, ctx.engine(), p.fwd);
    return p;
  } catch (const dnnl::error&) {  // unimplemented: the convolution runs
    return std::nullopt;
  }
}

}  // namespace tapeflow::ops
