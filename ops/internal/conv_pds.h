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
/// choice (`any`). With 4 to 7 input channels (fewer than the 8-channel
/// block of the AVX2 and AVX-512 kernels, more than the 1 to 3 that its
/// first-layer kernels read from a plain src), `any` picks a plain src and
/// 8- or 16-blocked gradients (reorders every step, and an AVX2 weights
/// kernel on AVX-512), while nhwc runs jit kernels in all three directions
/// (README, "Convolution layouts"). A src that arrives nhwc stays nhwc, so
/// the convolutions after such a one do not convert. Grouped convolutions
/// keep `any`.
// NOTE: larger counts that are not multiples of 8 gain too (lenet5_keras's
// conv2, 20 channels); they are left to `any` because the different
// rounding of the nhwc kernels makes 2 ranks leave the one-process losses
// earlier than tests/train/mpi/mpi_equivalence.sh allows (README).
bool prefersNhwc(const PrepareContext& ctx, int64_t groups);
/// The part of prefersNhwc that the shapes decide: 4 to 7 channels, one
/// group (a producer's hint: OpDef::prefersChannelsLast).
bool channelsWantNhwc(const Dims& src, int64_t groups);

/// Builds the descriptors with src and dst (and their gradients) in `act`
/// (tag::any or tag::nhwc) and weights in `any`; weights is [O, C, KH, KW]
/// or grouped [G, O/G, C/G, KH, KW]. Backward data when input 0 needs a
/// gradient, backward weights when the weights or (biasGrad) the bias do.
ConvPds makeConvPds(PrepareContext& ctx, const ConvWindow& win,
                    const Dims& weights, bool biasGrad,
                    dnnl::memory::format_tag act);

}  // namespace tapeflow::ops
