// ops/internal/conv_state.h - Conv2D's per-node state, shared by its
// convolution path (ops/conv2d.cpp) and its inner-product path
// (ops/internal/conv_ip.cpp: a window covering the whole input).
#pragma once

#include <optional>

#include "ops/internal/conv_pds.h"
#include "ops/op_kit.h"

namespace tapeflow::ops {

/// An input of a backward primitive: reuses the copy forward already
/// converted when its layout is the wanted one, else converts the original.
struct Feed {
  Relayout convert;
  bool reuse = false;
  void init(PrepareContext& ctx, const dnnl::memory::desc& original,
            const dnnl::memory::desc& converted, const dnnl::memory::desc& want) {
    reuse = converted == want;
    if (!reuse) convert = Relayout(ctx, original, want);
  }
  dnnl::memory operator()(dnnl::stream& s, const dnnl::memory& original,
                          const dnnl::memory& converted) {
    return reuse ? converted : convert(s, original);
  }
};

/// The inner-product path (a window covering the whole input).
struct IpPath {
  dnnl::inner_product_forward fwd;
  std::optional<dnnl::inner_product_backward_data> bwdData;
  std::optional<dnnl::inner_product_backward_weights> bwdWeights;
  dnnl::memory dst, diffDst;  ///< [N,O] views of the [N,O,1,1] buffers
};

/// Conv2D's prepared state: convolution primitives, or the inner-product
/// path, with the relayouts both use.
struct Conv2DState {
  std::optional<IpPath> ip;  ///< set: the primitives below are not used
  dnnl::convolution_forward fwd;
  Relayout srcToFwd, weightsToFwd;
  dnnl::memory weightsView;  ///< the plain weights (goihw view when grouped)
  dnnl::memory fwdSrc, fwdWeights;  ///< what forward ran on
  bool hasBias = false;

  std::optional<dnnl::convolution_backward_data> bwdData;
  Relayout diffDstToData, diffSrcOut;
  Feed weightsForData;

  std::optional<dnnl::convolution_backward_weights> bwdWeights;
  Feed diffDstForWeights, srcForWeights;
  bool weightsGrad = false, biasGrad = false;
  Relayout diffWeightsOut;
  dnnl::memory diffWeights;  ///< gradInput(1) as userWeightsMd, or a scratch
};

/// Runs a backward-data primitive (convolution or inner product) on
/// `diffDst` as it reads it, into input 0's gradient.
void runBackwardData(GradContext& ctx, Conv2DState& st, const dnnl::primitive& p,
                     const dnnl::memory& diffDst);
/// Runs a backward-weights primitive on `diffDst` as it reads it, into the
/// weights' gradient (or a scratch) and the bias gradient when wanted.
void runBackwardWeights(GradContext& ctx, Conv2DState& st, const dnnl::primitive& p,
                        const dnnl::memory& diffDst);

/// Sets up the inner-product path for a window covering the whole input
/// (the caller checks isInnerProduct) when oneDNN has jit kernels for it in
/// every direction that runs; false otherwise (the convolution runs). Reuses
/// the state's relayouts: the inner product's src, weights and gradients
/// play the same parts.
bool prepareInnerProduct(PrepareContext& ctx, const dnnl::memory::desc& userWeightsMd,
                         Conv2DState& st);
/// The backward of the inner-product path.
void backwardInnerProduct(GradContext& ctx, Conv2DState& st);

}  // namespace tapeflow::ops
