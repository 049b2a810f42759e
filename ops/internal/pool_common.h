// ops/internal/pool_common.h - the 2-D window of pooling ops: the kernel,
// stride, padding and pads attributes read and checked, with pads and output
// sizes from ops/internal/window.h (which convolution uses too).
#pragma once

#include <array>
#include <string>

#include "ops/internal/window.h"
#include "ops/op_kit.h"

namespace tapeflow::ops {

/// The window of a 2-D op over [N,C,H,W]; index 0 is H, 1 is W.
struct Window2D {
  std::array<int64_t, 2> kernel{1, 1};
  std::array<int64_t, 2> stride{1, 1};
  std::array<int64_t, 2> dilation{1, 1};
  std::array<AxisPads, 2> pads{};
  std::array<int64_t, 2> out{0, 0};
  PadMode mode = PadMode::Valid;

  dnnl::memory::dims kernelDims() const { return {kernel[0], kernel[1]}; }
  dnnl::memory::dims strideDims() const { return {stride[0], stride[1]}; }
  /// Top, left.
  dnnl::memory::dims padL() const { return {pads[0].begin, pads[1].begin}; }
  /// Bottom, right.
  dnnl::memory::dims padR() const { return {pads[0].end, pads[1].end}; }
};

/// Declares `stride` (ints, default [] = `strideDefaultDoc`), `padding`
/// (VALID/SAME/EXPLICIT, default VALID) and `pads` (ints [top,left,bottom,
/// right], EXPLICIT only, default []).
void addWindowAttrs(OpDef& def, const std::string& strideDefaultDoc);

/// Reads a list attribute of exactly two positive values (kernel, stride,
/// dilation). Throws AttrError naming the attribute otherwise.
std::array<int64_t, 2> readPair(const NodeView& ctx, const std::string& attr);

/// Reads `stride`, `padding` and `pads` for `kernel` (dilated by
/// `dilation`) over the spatial dims {H, W} of input `input`, and computes
/// pads and output size. An absent `stride` is `defaultStride`. Throws
/// AttrError for bad values (non-positive stride, wrong list lengths,
/// negative pads, pads without EXPLICIT) and ShapeError when the window is
/// larger than the padded input.
Window2D readWindow(const NodeView& ctx, int input,
                    std::array<int64_t, 2> kernel,
                    std::array<int64_t, 2> dilation,
                    std::array<int64_t, 2> defaultStride);

/// The window of a pooling op over `src` [N,C,H,W]: `kernel` (2 positive
/// values), stride defaulting to the kernel, and EXPLICIT pads smaller than
/// the kernel (so every window covers at least one input pixel).
Window2D readPoolWindow(const NodeView& ctx);
/// Declares kernel, stride, padding and pads of a pooling op.
void addPoolAttrs(OpDef& def);
/// Shape function of a pooling op: [N,C,H,W] -> [N,C,OH,OW].
void inferPoolShapes(ShapeContext& ctx);
/// N*C*OH*OW*KH*KW (one compare or add per window element).
int64_t poolFlops(const ShapeContext& ctx);

/// Pooling on a plain [N,1,H,W] src. oneDNN 2.6 runs plain nchw pooling
/// with fewer than about 4 channels on its reference kernel (simple_nchw)
/// and has a jit kernel for nhwc; with one channel nchw and nhwc are the
/// same bytes, so the primitive is built on nhwc descriptors and executes on
/// nhwc views of the same buffers: no reorder, and every other node still
/// sees plain nchw.
struct OneChannelView {
  bool on = false;
  dnnl::memory::desc src, dst;  ///< nhwc descriptors (when on)
  dnnl::memory srcMem, dstMem;  ///< the views; handles set per call

  /// `m` seen through `view` (same data handle).
  static dnnl::memory& of(dnnl::memory& view, const dnnl::memory& m) {
    view.set_data_handle(m.get_data_handle());
    return view;
  }
};

/// The view when src is plain nchw with one channel; off otherwise.
OneChannelView oneChannelView(PrepareContext& ctx);

}  // namespace tapeflow::ops
