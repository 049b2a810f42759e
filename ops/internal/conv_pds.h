// ops/internal/conv_pds.h - Conv2D's primitive descriptors (forward,
// backward data, backward weights) for one choice of activation layout,
// and the rule that chooses nhwc over oneDNN's own choice.
#pragma once

#include <optional>

#include "ops/op_kit.h"

namespace tapeflow::ops {

/// The window in oneDNN's terms (dilation 0 = dense).
struct ConvWindow {
  dnnl::memory::dims strides, dilates, padL, padR;
};

/// The three primitive descriptors; a backward one only when it runs.
struct ConvPds {
  dnnl::convolution_forward::primitive_desc fwd;
  std::optional<dnnl::convolution_backward_data::primitive_desc> data;
  std::optional<dnnl::convolution_backward_weights::primitive_desc> weights;
  /// True when some direction runs a reference kernel.
  bool anyRef() const;
};

/// Activations (src, dst and their gradients) in nhwc rather than oneDNN's
/// choice (`any`). With 4 or more input channels that are not a multiple of
/// 8 (the channel block of the AVX2 and AVX-512 kernels; 1 to 3 channels
/// are read by its first-layer kernels from a plain src), `any` picks a
/// plain src and 8- or 16-blocked gradients, or blocks padded with zero
/// channels (20 -> 32: 60% more data), with reorders every step and, below
/// 8 channels, an AVX2 weights kernel on AVX-512; nhwc runs jit kernels in
/// all three directions on the channels there are (README, "Convolution
/// layouts"). A src that arrives nhwc stays nhwc, so the convolutions after
/// such a one do not convert. Grouped convolutions keep `any`.
bool prefersNhwc(const PrepareContext& ctx, int64_t groups);
/// The part of prefersNhwc that the shapes decide: 4 or more channels, not
/// a multiple of 8, one group (a producer's hint: OpDef::prefersChannelsLast).
bool channelsWantNhwc(const Dims& src, int64_t groups);

/// Builds the descriptors with src and dst (and their gradients) in `act`
/// (tag::any or tag::nhwc) and weights in `any`; weights is [O, C, KH, KW]
/// or grouped [G, O/G, C/G, KH, KW]. Backward data when input 0 needs a
/// gradient, backward weights when the weights or (biasGrad) the bias do.
ConvPds makeConvPds(PrepareContext& ctx, const ConvWindow& win,
                    const Dims& weights, bool biasGrad,
                    dnnl::memory::format_tag act);

/// A convolution whose window is its whole input (no padding, dilation 1,
/// one group: dst [N,O,1,1]) as oneDNN inner products: 4-D src [N,C,H,W],
/// 4-D weights [O,C,KH,KW], 2-D dst [N,O] (the bytes of a plain
/// [N,O,1,1]). Same directions as ConvPds.
struct IpPds {
  dnnl::inner_product_forward::primitive_desc fwd;
  std::optional<dnnl::inner_product_backward_data::primitive_desc> data;
  std::optional<dnnl::inner_product_backward_weights::primitive_desc> weights;
  bool anyRef() const;
};

/// True when Conv2D's geometry makes it an inner product (see IpPds).
bool isInnerProduct(const Dims& src, const Dims& weights, int64_t groups,
                    const int64_t dilation[2], const int64_t padBegin[2],
                    const int64_t padEnd[2]);

/// Builds the inner products on `src` and `weights` (each a given layout or
/// `any`); nothing when oneDNN has no implementation (e.g. for the
/// post-ops).
std::optional<IpPds> makeIpPds(PrepareContext& ctx,
                               const dnnl::memory::desc& src,
                               const dnnl::memory::desc& weights,
                               bool biasGrad);

}  // namespace tapeflow::ops
