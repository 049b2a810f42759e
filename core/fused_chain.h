// core/fused_chain.h - a chain of elementwise ops (found by
// core/chain_fusion.h) run as one loop over the data: forward computes the
// chain's output from its input; backward recomputes the intermediate
// values tile by tile from the input, walks the chain back, and sums the
// gradients of the broadcast operands (per channel, or a scalar) in the
// same pass.
//
// Determinism: every gradient sum is accumulated per (sample, channel
// block) in a fixed order and then over the samples in order, whatever
// the thread count, so fused runs are bit-identical run to run.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "core/op_def.h"

namespace tapeflow {

/// The longest chain the loop runs (a longer run of ops makes two chains).
constexpr int kMaxChainSteps = 8;

/// One op of a chain: data in, data out, and for a binary op an operand
/// broadcast along channels (or a scalar).
struct ChainStep {
  PointwiseOp op;
  bool operandFirst = false;  ///< c = operand op data (Sub, Div)
  bool scalarOperand = false; ///< one value, else one per channel
};

/// How the loop walks the data: element (o, b, s, l) is at
/// ((o * blocks + b) * spatial + s) * lanes + l and has channel
/// b * lanes + l; channels from `channels` on are padding, kept at 0.
struct ChainLayout {
  int64_t outer = 1, blocks = 1, spatial = 1, lanes = 1, channels = 1;
  int64_t size() const { return outer * blocks * spatial * lanes; }
};

/// True for the activations whose derivative reads their output only
/// (Relu, LeakyRelu, Elu, Sigmoid, Tanh, ScaledTanh).
bool derivativeFromOutput(PointwiseKind kind);
/// g becomes the gradient of such an activation's input, from its output
/// z and the gradient g of that output (n floats; the chain's math).
void activationBackward(const PointwiseOp& op, const float* z, float* g,
                        int64_t n);

/// The layout of `md` if the loop can walk it: plain, channels last (nhwc,
/// up to 256 channels: one block of all of them), or blocked by one inner
/// block on the channel axis (nChw8c, nChw16c); nullopt otherwise.
std::optional<ChainLayout> chainLayoutOf(const dnnl::memory::desc& md);

/// The chain's loops on raw buffers (the layout's size() floats each).
class ChainKernel {
 public:
  /// nhwcOut: y (and dy) are channels last, [outer, spatial, channels],
  /// whatever layout x (and dx) have; the layout's lanes at most 256.
  ChainKernel(std::vector<ChainStep> steps, ChainLayout layout,
              bool nhwcOut = false);

  /// y = chain(x). operands[k]: step k's values (nullptr for a unary op).
  void forward(const float* x, const std::vector<const float*>& operands,
               float* y) const;
  /// Gradients from dy, for the steps from `first` on. dx (nullptr: not
  /// needed) receives the input's gradient; dOperands[k] (nullptr: not
  /// needed) step k's operand gradient, one value per channel or one.
  void backward(const float* x, const float* y, const float* dy,
                const std::vector<const float*>& operands, float* dx,
                const std::vector<float*>& dOperands, int first);

  const ChainLayout& layout() const { return layout_; }

 private:
  struct Scratch;
  struct Tile;
  void expandOperands(int64_t segment, const std::vector<const float*>& operands,
                      Scratch& sc) const;
  template <class Body>
  void forEachTile(const std::vector<const float*>& operands, const Body& body) const;
  /// A tile of y between the walked layout (`tile`) and nhwc (`data`).
  void scatter(const Tile& t, const float* tile, float* data) const;
  void gather(const Tile& t, const float* data, float* tile) const;

  std::vector<ChainStep> steps_;
  ChainLayout layout_;
  bool nhwcOut_ = false;
  int64_t tile_ = 0;              ///< elements per tile
  std::vector<double> partial_;   ///< per operand, segment and lane
  std::vector<int> slot_;         ///< step -> its operand's partials, or -1
};

/// A chain as a plan runs it, on dnnl memories: the loop walks the input's
/// own layout when it can (the input's gradient gets that layout), else a
/// plain copy made by one reorder. The output (and its gradient) has the
/// walked layout, or nhwc when asked for (the loop writes it directly).
/// Operands are read plain (a non-plain one is reordered); their gradients
/// are written plain, with the operand's dims.
class FusedChainNode {
 public:
  using Allocate = std::function<dnnl::memory(const dnnl::memory::desc&)>;
  /// operandMds[k]: step k's operand layout (ignored for a unary step).
  /// nhwcOut: hand the output over in nhwc (rank 4, up to 256 channels;
  /// otherwise ignored).
  FusedChainNode(std::vector<ChainStep> steps, const dnnl::memory::desc& inMd,
                 const std::vector<dnnl::memory::desc>& operandMds,
                 const Allocate& scratch, bool nhwcOut = false);

  /// The layout of the input's gradient (the one the loop walks).
  const dnnl::memory::desc& dataDesc() const { return dataMd_; }
  /// The layout of the output and of its gradient.
  const dnnl::memory::desc& outputDesc() const { return outMd_; }
  /// Reorders per forward and backward.
  int reorders() const { return reorders_; }
  /// What the profiler shows, e.g. "fused:nChw16c" or "fused:plain".
  std::string impl() const;

  /// operands[k]: step k's operand (an empty memory for a unary step).
  void forward(const dnnl::memory& x, const std::vector<dnnl::memory>& operands,
               const dnnl::memory& y);
  /// dx, dOperands[k]: nullptr when not needed; `first`: the first step
  /// whose gradients are needed. Reads what forward left (plain copies).
  void backward(const dnnl::memory& x, const dnnl::memory& y,
                const dnnl::memory& dy, const dnnl::memory* dx,
                const std::vector<const dnnl::memory*>& dOperands, int first);

 private:
  std::vector<ChainStep> steps_;
  std::optional<ChainKernel> kernel_;
  dnnl::memory::desc dataMd_, outMd_;
  std::optional<dnnl::reorder> toPlain_;
  dnnl::memory xPlain_;
  std::vector<std::optional<dnnl::reorder>> operandToPlain_;
  std::vector<dnnl::memory> operandPlain_;
  std::vector<const float*> operandPtr_;
  int reorders_ = 0;
};

}  // namespace tapeflow
