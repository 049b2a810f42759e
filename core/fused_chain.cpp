// core/fused_chain.cpp - the fused chain's loops.
//
// The data is walked in segments (one sample and channel block each) and
// tiles of at most kTile elements; a tile's intermediate values live in
// small stack buffers, so each element is read and written once per pass.
// The math per step, a the step's input, z its output, b the operand,
// g the gradient of z:
//   Add  z = a + b      da = g            db = g
//   Sub  z = a - b      da = g            db = -g      (b - a: negated)
//   Mul  z = a * b      da = g * b        db = g * a
//   Div  z = a / b      da = q = g / b    db = -(q * z)
//        z = b / a      q = g / a: da = -(q * z), db = q
//   Relu, LeakyRelu, Elu, Sigmoid, Tanh, ScaledTanh: from z, as their ops'
//   oneDNN backward reads dst (ops/relu.cpp ... ops/scaled_tanh.cpp).
// NOTE: exp and tanh are the branch-free Cephes approximations below (about
// 2 ulp) so that GCC vectorizes the loops; std::exp would not. The loops
// are built for AVX-512, AVX2 and the baseline (target_clones, chosen once
// at load time), as the rest of tapeflow is built for the baseline only;
// without FMA contraction every clone computes the same values.
#include "core/fused_chain.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "core/dnnl_context.h"
#include "core/error.h"
#include "core/op_context.h"

namespace tapeflow {
namespace {

constexpr int64_t kTile = 256;
constexpr int kMaxSteps = kMaxChainSteps;
constexpr int64_t kParallelMin = 1 << 15;  ///< elements

inline float expApprox(float x) {
  // Clamped so that 2^r is a normal float; NaN becomes -87.3 here and is
  // put back at the end.
  float c = x > -87.3f ? x : -87.3f;
  c = c < 88.3f ? c : 88.3f;
  const float r = (c * 1.44269504088896341f + 12582912.f) - 12582912.f;
  float f = c - r * 0.693359375f;
  f = f + r * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * f + 1.3981999507e-3f;
  p = p * f + 8.3334519073e-3f;
  p = p * f + 4.1665795894e-2f;
  p = p * f + 1.6666665459e-1f;
  p = p * f + 5.0000001201e-1f;
  p = p * f * f + f + 1.f;
  const float e = std::bit_cast<float>((int32_t(r) + 127) << 23);
  const float result = p * e;
  return x == x ? result : x;
}

inline float tanhApprox(float x) {
  const float ax = x < 0 ? -x : x;
  const float e = expApprox(-2.f * ax);
  const float big = (1.f - e) / (1.f + e);
  const float z = x * x;
  const float small =
      ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z +
        1.33314422036e-1f) * z - 3.33332819422e-1f) * z * ax + ax;
  const float t = ax < 0.625f ? small : big;
  return x < 0 ? -t : t;
}

__attribute__((target_clones("avx512f", "avx2", "default")))
void stepForward(const ChainStep& s, const float* a, const float* b, float* z,
                 int64_t n) {
  const float alpha = s.op.alpha, beta = s.op.beta;
  switch (s.op.kind) {
    case PointwiseKind::Add:
      for (int64_t j = 0; j < n; ++j) z[j] = a[j] + b[j];
      break;
    case PointwiseKind::Sub:
      if (s.operandFirst)
        for (int64_t j = 0; j < n; ++j) z[j] = b[j] - a[j];
      else
        for (int64_t j = 0; j < n; ++j) z[j] = a[j] - b[j];
      break;
    case PointwiseKind::Mul:
      for (int64_t j = 0; j < n; ++j) z[j] = a[j] * b[j];
      break;
    case PointwiseKind::Div:
      if (s.operandFirst)
        for (int64_t j = 0; j < n; ++j) z[j] = b[j] / a[j];
      else
        for (int64_t j = 0; j < n; ++j) z[j] = a[j] / b[j];
      break;
    case PointwiseKind::Relu:
      for (int64_t j = 0; j < n; ++j) z[j] = a[j] > 0 ? a[j] : 0.f;
      break;
    case PointwiseKind::LeakyRelu:
      for (int64_t j = 0; j < n; ++j) {
        const float v = a[j], s = alpha * v;
        z[j] = v > 0 ? v : s;
      }
      break;
    case PointwiseKind::Elu:
      for (int64_t j = 0; j < n; ++j) {
        const float v = a[j], s = alpha * (expApprox(v) - 1.f);
        z[j] = v > 0 ? v : s;
      }
      break;
    case PointwiseKind::Sigmoid:
      for (int64_t j = 0; j < n; ++j) z[j] = 1.f / (1.f + expApprox(-a[j]));
      break;
    case PointwiseKind::Tanh:
      for (int64_t j = 0; j < n; ++j) z[j] = tanhApprox(a[j]);
      break;
    case PointwiseKind::ScaledTanh:  // alpha * tanh(beta * a)
      for (int64_t j = 0; j < n; ++j) z[j] = alpha * tanhApprox(beta * a[j]);
      break;
  }
}

/// g becomes the gradient of a; contrib (when not null) receives each
/// element's share of the operand's gradient.
__attribute__((target_clones("avx512f", "avx2", "default")))
void stepBackward(const ChainStep& s, const float* a, const float* z,
                  const float* b, float* g, float* contrib, int64_t n) {
  const float alpha = s.op.alpha, beta = s.op.beta;
  switch (s.op.kind) {
    case PointwiseKind::Add:
      if (contrib) std::memcpy(contrib, g, size_t(n) * sizeof(float));
      break;
    case PointwiseKind::Sub:
      if (s.operandFirst) {
        if (contrib) std::memcpy(contrib, g, size_t(n) * sizeof(float));
        for (int64_t j = 0; j < n; ++j) g[j] = -g[j];
      } else if (contrib) {
        for (int64_t j = 0; j < n; ++j) contrib[j] = -g[j];
      }
      break;
    case PointwiseKind::Mul:
      if (contrib)
        for (int64_t j = 0; j < n; ++j) contrib[j] = g[j] * a[j];
      for (int64_t j = 0; j < n; ++j) g[j] = g[j] * b[j];
      break;
    case PointwiseKind::Div:
      if (s.operandFirst) {
        for (int64_t j = 0; j < n; ++j) {
          const float q = g[j] / a[j];
          if (contrib) contrib[j] = q;
          g[j] = -(q * z[j]);
        }
      } else {
        for (int64_t j = 0; j < n; ++j) {
          const float q = g[j] / b[j];
          if (contrib) contrib[j] = -(q * z[j]);
          g[j] = q;
        }
      }
      break;
    case PointwiseKind::Relu:
      for (int64_t j = 0; j < n; ++j) g[j] = z[j] > 0 ? g[j] : 0.f;
      break;
    case PointwiseKind::LeakyRelu:
      for (int64_t j = 0; j < n; ++j) g[j] = z[j] > 0 ? g[j] : g[j] * alpha;
      break;
    case PointwiseKind::Elu:
      for (int64_t j = 0; j < n; ++j) g[j] = z[j] > 0 ? g[j] : g[j] * (z[j] + alpha);
      break;
    case PointwiseKind::Sigmoid:
      for (int64_t j = 0; j < n; ++j) g[j] = g[j] * z[j] * (1.f - z[j]);
      break;
    case PointwiseKind::Tanh:
      for (int64_t j = 0; j < n; ++j) g[j] = g[j] * (1.f - z[j] * z[j]);
      break;
    case PointwiseKind::ScaledTanh: {
      const float k = beta / alpha, a2 = alpha * alpha;
      for (int64_t j = 0; j < n; ++j) g[j] = g[j] * k * (a2 - z[j] * z[j]);
      break;
    }
  }
}

bool isBinary(PointwiseKind k) {
  return k == PointwiseKind::Add || k == PointwiseKind::Sub ||
         k == PointwiseKind::Mul || k == PointwiseKind::Div;
}

/// Zeroes the padding lanes (from `valid` on) of n elements.
void zeroPadding(float* out, int64_t n, int64_t lanes, int64_t valid) {
  for (int64_t j = 0; j < n; j += lanes)
    std::fill(out + j + valid, out + j + lanes, 0.f);
}

/// Sum of n floats in double, four accumulators combined in a fixed order.
double sumTile(const float* c, int64_t n) {
  double s[4] = {0, 0, 0, 0};
  int64_t j = 0;
  for (; j + 4 <= n; j += 4)
    for (int k = 0; k < 4; ++k) s[k] += double(c[j + k]);
  for (; j < n; ++j) s[0] += double(c[j]);
  return (s[0] + s[1]) + (s[2] + s[3]);
}

}  // namespace

bool derivativeFromOutput(PointwiseKind kind) {
  switch (kind) {
    case PointwiseKind::Relu:
    case PointwiseKind::LeakyRelu:
    case PointwiseKind::Elu:
    case PointwiseKind::Sigmoid:
    case PointwiseKind::Tanh:
    case PointwiseKind::ScaledTanh:
      return true;
    default:
      return false;
  }
}

void activationBackward(const PointwiseOp& op, const float* z, float* g,
                        int64_t n) {
  TAPEFLOW_ASSERT(derivativeFromOutput(op.kind) && "reads the output only");
  stepBackward(ChainStep{op}, nullptr, z, nullptr, g, nullptr, n);
}

std::optional<ChainLayout> chainLayoutOf(const dnnl::memory::desc& md) {
  const dnnl_memory_desc_t& c = md.data;
  if (c.data_type != dnnl_f32 || c.format_kind != dnnl_blocked ||
      c.offset0 != 0 || c.ndims < 1)
    return std::nullopt;
  const int r = c.ndims;
  ChainLayout l;
  if (r == 1) {
    l.spatial = c.dims[0];
    return isPlain(md) ? std::optional<ChainLayout>(l) : std::nullopt;
  }
  l.outer = c.dims[0];
  l.channels = c.dims[1];
  for (int i = 2; i < r; ++i) l.spatial *= c.dims[i];
  if (isPlain(md)) {
    l.blocks = l.channels;
    if (l.spatial == 1) std::swap(l.blocks, l.lanes);  // [N, C]: lanes are channels
    return l;
  }
  const auto& b = c.format_desc.blocking;
  for (int i = 0; i < r; ++i)
    if (c.padded_dims[i] != c.dims[i] && (i != 1 || b.inner_nblks == 0))
      return std::nullopt;
  if (b.inner_nblks == 0 && l.channels <= kTile) {
    // Channels last (nhwc): one block of all the channels, so tiles (a
    // multiple of the lanes) start at a pixel's first channel.
    if (c.dims[1] != 1 && b.strides[1] != 1) return std::nullopt;
    int64_t expect = l.channels;
    for (int i = r - 1; i >= 2; --i) {
      if (c.dims[i] != 1 && b.strides[i] != expect) return std::nullopt;
      expect *= c.dims[i];
    }
    if (l.outer > 1 && b.strides[0] != expect) return std::nullopt;
    l.lanes = l.channels;
    return l;
  }
  if (b.inner_nblks != 1 || b.inner_idxs[0] != 1) return std::nullopt;
  l.lanes = b.inner_blks[0];
  l.blocks = c.padded_dims[1] / l.lanes;
  // Canonical order: sample, channel block, spatial dims, the block.
  int64_t expect = l.lanes;
  for (int i = r - 1; i >= 2; --i) {
    if (c.dims[i] != 1 && b.strides[i] != expect) return std::nullopt;
    expect *= c.dims[i];
  }
  if (l.blocks > 1 && b.strides[1] != expect) return std::nullopt;
  expect *= l.blocks;
  if (l.outer > 1 && b.strides[0] != expect) return std::nullopt;
  return l;
}

struct ChainKernel::Scratch {
  alignas(64) float vals[kMaxSteps][kTile];  // inputs of steps 1..
  alignas(64) float op[kMaxSteps][kTile];    // operands, expanded
  alignas(64) float g[kTile];
  alignas(64) float contrib[kTile];
  const float* opPtr[kMaxSteps] = {};
};

ChainKernel::ChainKernel(std::vector<ChainStep> steps, ChainLayout layout,
                         bool nhwcOut)
    : steps_(std::move(steps)), layout_(layout), nhwcOut_(nhwcOut) {
  if (nhwcOut_ && layout_.lanes > kTile)
    throw UsageError({}, "", "", "a fused chain writes nhwc from at most " +
                                     std::to_string(kTile) + " lanes");
  if (steps_.empty() || int(steps_.size()) > kMaxSteps)
    throw UsageError({}, "", "",
                     "a fused chain has 1 to " + std::to_string(kMaxSteps) +
                         " steps, found " + std::to_string(steps_.size()));
  tile_ = layout_.lanes <= kTile ? (kTile / layout_.lanes) * layout_.lanes : kTile;
  // One slot of partial sums per binary step (the ones with an operand).
  slot_.assign(steps_.size(), -1);
  int slots = 0;
  for (size_t k = 0; k < steps_.size(); ++k)
    if (isBinary(steps_[k].op.kind)) slot_[k] = slots++;
  partial_.resize(size_t(slots) * size_t(layout_.outer * layout_.blocks * layout_.lanes));
}

// Operand values of a segment's tiles: the lane pattern repeats every
// `lanes` elements (tiles start at multiples of lanes); padding lanes get 1.
void ChainKernel::expandOperands(int64_t segment,
                                 const std::vector<const float*>& operands,
                                 Scratch& sc) const {
  const int64_t b = segment % layout_.blocks, lanes = layout_.lanes;
  const int64_t n = std::min(tile_, layout_.spatial * lanes);
  for (size_t k = 0; k < steps_.size(); ++k) {
    const float* v = operands[k];
    if (!v) continue;
    float* out = sc.op[k];
    sc.opPtr[k] = out;
    if (steps_[k].scalarOperand) {
      std::fill(out, out + n, v[0]);
    } else if (lanes > kTile) {
      sc.opPtr[k] = nullptr;  // read in place, per tile
    } else if (lanes == 1) {
      std::fill(out, out + n, v[b]);
    } else {
      for (int64_t l = 0; l < lanes; ++l) {
        const int64_t ch = b * lanes + l;
        out[l] = ch < layout_.channels ? v[ch] : 1.f;
      }
      for (int64_t j = lanes; j < n; j += lanes)
        std::memcpy(out + j, out, size_t(lanes) * sizeof(float));
    }
  }
}

// One tile: n elements at offset `off` of the data, `start` into segment
// `seg`, whose channel block has `valid` real lanes; b[k] is step k's
// operand values for the tile (nullptr for a unary step).
struct ChainKernel::Tile {
  int64_t seg, start, n, off, valid;
  const float* b[kMaxSteps];
  Scratch& sc;
};

// Walks the segments (in parallel when the data is large) and their tiles,
// with each segment's operands expanded once, and calls body(tile).
template <class Body>
void ChainKernel::forEachTile(const std::vector<const float*>& operands,
                              const Body& body) const {
  const ChainLayout& L = layout_;
  const int64_t segments = L.outer * L.blocks, segLen = L.spatial * L.lanes;
  const int steps = int(steps_.size());
#pragma omp parallel if (segments > 1 && L.size() >= kParallelMin)
  {
    Scratch sc;
#pragma omp for schedule(static)
    for (int64_t seg = 0; seg < segments; ++seg) {
      expandOperands(seg, operands, sc);
      const int64_t valid = std::min(L.lanes, L.channels - (seg % L.blocks) * L.lanes);
      for (int64_t start = 0; start < segLen; start += tile_) {
        Tile t{seg, start, std::min(tile_, segLen - start), seg * segLen + start, valid, {}, sc};
        for (int k = 0; k < steps; ++k) {
          t.b[k] = sc.opPtr[k];
          if (operands[k] && !t.b[k])
            t.b[k] = operands[k] + (seg % L.blocks) * L.lanes + start % L.lanes;
        }
        body(t);
      }
    }
  }
}

// Tiles start at a multiple of the lanes, so tile element j0 + l (j0 a
// multiple of the lanes) is pixel start / lanes + j0 / lanes, channel
// block * lanes + l; padding lanes (from `valid`) have no nhwc element.
void ChainKernel::scatter(const Tile& t, const float* tile, float* data) const {
  const ChainLayout& L = layout_;
  int64_t at = ((t.seg / L.blocks) * L.spatial + t.start / L.lanes) * L.channels +
               (t.seg % L.blocks) * L.lanes;
  for (int64_t j0 = 0; j0 < t.n; j0 += L.lanes, at += L.channels)
    for (int64_t l = 0; l < t.valid; ++l) data[at + l] = tile[j0 + l];
}

void ChainKernel::gather(const Tile& t, const float* data, float* tile) const {
  const ChainLayout& L = layout_;
  int64_t at = ((t.seg / L.blocks) * L.spatial + t.start / L.lanes) * L.channels +
               (t.seg % L.blocks) * L.lanes;
  for (int64_t j0 = 0; j0 < t.n; j0 += L.lanes, at += L.channels)
    for (int64_t l = 0; l < L.lanes; ++l)
      tile[j0 + l] = l < t.valid ? data[at + l] : 0.f;
}

void ChainKernel::forward(const float* x, const std::vector<const float*>& operands,
                          float* y) const {
  const int64_t lanes = layout_.lanes;
  const int steps = int(steps_.size());
  forEachTile(operands, [&](const Tile& t) {
    const float* a = x + t.off;
    float* out = nhwcOut_ ? t.sc.g : y + t.off;
    for (int k = 0; k < steps; ++k) {
      stepForward(steps_[k], a, t.b[k], out, t.n);
      a = out;
    }
    if (nhwcOut_)
      scatter(t, out, y);
    else if (t.valid < lanes)
      zeroPadding(out, t.n, lanes, t.valid);
  });
}

void ChainKernel::backward(const float* x, const float* y, const float* dy,
                           const std::vector<const float*>& operands, float* dx,
                           const std::vector<float*>& dOperands, int first) {
  const ChainLayout& L = layout_;
  const int steps = int(steps_.size());
  const size_t slot = size_t(L.outer * L.blocks * L.lanes);
  for (int k = first; k < steps; ++k)
    if (dOperands[k] && slot_[k] >= 0)
      std::fill_n(partial_.begin() + slot_[k] * slot, slot, 0.0);
  forEachTile(operands, [&](const Tile& t) {
    const int64_t n = t.n;
    Scratch& sc = t.sc;
    const float* in[kMaxSteps + 1];
    in[0] = x + t.off;
    in[steps] = y + t.off;
    if (nhwcOut_) {  // vals[0] is free: intermediate values start at 1
      gather(t, y, sc.vals[0]);
      in[steps] = sc.vals[0];
    }
    // The intermediate values, exactly as forward computed them.
    for (int k = 0; k + 1 < steps; ++k) {
      stepForward(steps_[k], in[k], t.b[k], sc.vals[k + 1], n);
      in[k + 1] = sc.vals[k + 1];
    }
    if (nhwcOut_)
      gather(t, dy, sc.g);
    else
      std::memcpy(sc.g, dy + t.off, size_t(n) * sizeof(float));
    for (int k = steps - 1; k >= first; --k) {
      float* contrib = dOperands[k] && slot_[k] >= 0 ? sc.contrib : nullptr;
      stepBackward(steps_[k], in[k], in[k + 1], t.b[k], sc.g, contrib, n);
      if (!contrib) continue;
      double* acc = partial_.data() + slot_[k] * slot + size_t(t.seg * L.lanes);
      if (L.lanes == 1) {
        acc[0] += sumTile(contrib, n);
      } else if (L.lanes > kTile) {
        for (int64_t j = 0; j < n; ++j) acc[t.start % L.lanes + j] += double(contrib[j]);
      } else {
        for (int64_t j0 = 0; j0 < n; j0 += L.lanes)
          for (int64_t l = 0; l < L.lanes; ++l) acc[l] += double(contrib[j0 + l]);
      }
    }
    if (!dx) return;
    float* out = dx + t.off;
    std::memcpy(out, sc.g, size_t(n) * sizeof(float));
    if (t.valid < L.lanes) zeroPadding(out, n, L.lanes, t.valid);
  });
  // Sums over the samples, in order.
  for (int k = first; k < steps; ++k) {
    if (!dOperands[k] || slot_[k] < 0) continue;
    const double* acc = partial_.data() + slot_[k] * slot;
    std::vector<double> perChannel(size_t(L.channels), 0.0);
    for (int64_t o = 0; o < L.outer; ++o)
      for (int64_t c = 0; c < L.channels; ++c)
        perChannel[size_t(c)] +=
            acc[(o * L.blocks + c / L.lanes) * L.lanes + c % L.lanes];
    if (steps_[k].scalarOperand) {
      double total = 0;
      for (double v : perChannel) total += v;
      dOperands[k][0] = float(total);
    } else {
      for (int64_t c = 0; c < L.channels; ++c) dOperands[k][c] = float(perChannel[size_t(c)]);
    }
  }
}

// ---------------------------------------------------------------- node

FusedChainNode::FusedChainNode(std::vector<ChainStep> steps,
                               const dnnl::memory::desc& inMd,
                               const std::vector<dnnl::memory::desc>& operandMds,
                               const Allocate& scratch, bool nhwcOut)
    : steps_(std::move(steps)) {
  dataMd_ = inMd;
  std::optional<ChainLayout> layout = chainLayoutOf(inMd);
  if (!layout) {
    dnnl::memory::dims d = inMd.dims();
    dataMd_ = plainDesc(Dims(d.begin(), d.end()));
    layout = chainLayoutOf(dataMd_);
    xPlain_ = scratch(dataMd_);
    toPlain_ = dnnl::reorder(dnnl::reorder::primitive_desc(cpuEngine(), inMd,
                                                           cpuEngine(), dataMd_));
    reorders_ += 2;  // the input, and its gradient back (by the plan)
  }
  outMd_ = dataMd_;
  const dnnl::memory::dims d = dataMd_.dims();
  if (nhwcOut && d.size() == 4 && layout->lanes <= kTile) {
    dnnl::memory::desc nhwc(d, dnnl::memory::data_type::f32,
                            dnnl::memory::format_tag::nhwc);
    nhwcOut = nhwc != dataMd_;
    outMd_ = nhwc;
  } else {
    nhwcOut = false;
  }
  kernel_.emplace(steps_, *layout, nhwcOut);
  operandToPlain_.resize(steps_.size());
  operandPlain_.resize(steps_.size());
  operandPtr_.assign(steps_.size(), nullptr);
  for (size_t k = 0; k < steps_.size() && k < operandMds.size(); ++k) {
    const dnnl::memory::desc& md = operandMds[k];
    if (md.is_zero() || isPlain(md)) continue;
    dnnl::memory::dims d = md.dims();
    dnnl::memory::desc plain = plainDesc(Dims(d.begin(), d.end()));
    operandPlain_[k] = scratch(plain);
    operandToPlain_[k] = dnnl::reorder(
        dnnl::reorder::primitive_desc(cpuEngine(), md, cpuEngine(), plain));
    reorders_ += 2;
  }
}

std::string FusedChainNode::impl() const {
  const ChainLayout& l = kernel_->layout();
  std::string what = "blocked" + std::to_string(l.lanes) + "c";
  if (isPlain(dataMd_))
    what = "plain";
  else if (dataMd_.data.format_desc.blocking.inner_nblks == 0)  // unblocked
    what = "nhwc";
  if (outMd_ != dataMd_) what += "->nhwc";
  return "fused=loop:" + what + (toPlain_ ? " (input reordered)" : "");
}

void FusedChainNode::forward(const dnnl::memory& x,
                             const std::vector<dnnl::memory>& operands,
                             const dnnl::memory& y) {
  dnnl::stream& s = cpuStream();
  dnnl::memory src = x;
  if (toPlain_) {
    toPlain_->execute(s, const_cast<dnnl::memory&>(x), xPlain_);
    src = xPlain_;
  }
  for (size_t k = 0; k < steps_.size(); ++k) {
    if (k >= operands.size() || !operands[k]) {
      operandPtr_[k] = nullptr;
      continue;
    }
    dnnl::memory m = operands[k];
    if (operandToPlain_[k]) {
      operandToPlain_[k]->execute(s, m, operandPlain_[k]);
      m = operandPlain_[k];
    }
    operandPtr_[k] = hostPtr(m);
  }
  s.wait();
  kernel_->forward(hostPtr(src), operandPtr_, hostPtr(y));
}

void FusedChainNode::backward(const dnnl::memory& x, const dnnl::memory& y,
                              const dnnl::memory& dy, const dnnl::memory* dx,
                              const std::vector<const dnnl::memory*>& dOperands,
                              int first) {
  cpuStream().wait();
  std::vector<float*> dOps(steps_.size(), nullptr);
  for (size_t k = 0; k < steps_.size() && k < dOperands.size(); ++k)
    if (dOperands[k]) dOps[k] = hostPtr(*dOperands[k]);
  const float* src = hostPtr(toPlain_ ? xPlain_ : x);
  kernel_->backward(src, hostPtr(y), hostPtr(dy), operandPtr_,
                    dx ? hostPtr(*dx) : nullptr, dOps, first);
}

}  // namespace tapeflow
