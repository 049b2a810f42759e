// train/optimizer.cpp - SGD, Adam and AdamW over a ParamStore's arenas.
// The arithmetic follows PyTorch's single-tensor implementations term by
// term (scalars computed in double, then used as float), so results agree
// with torch.optim to float rounding.
#include "train/optimizer.h"

#include <algorithm>
#include <cmath>
#include <new>
#include <string>

#include "core/error.h"

namespace tapeflow {
namespace {

// NOTE: the loops are templates over the options so each variant is a
// branch-free loop the compiler can vectorise; they run over the whole
// parameter arena (gaps included: zero parameters with zero gradients stay
// zero), split across the OpenMP threads when large. The work is
// elementwise, so the result does not depend on the thread count. The
// gradient scale (clipping) is applied to each element as it is read,
// exactly as if the gradient had been scaled in place first.
constexpr int64_t kParallelMin = 1 << 15;

template <bool kScale, bool kDecay, bool kNesterov>
void sgdMomentumLoop(float* p, const float* g, float* buf, int64_t n, float lr,
                     float momentum, float wd, float scale) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    float gi = kScale ? g[i] * scale : g[i];
    float d = kDecay ? gi + wd * p[i] : gi;
    float b = buf[i] * momentum + d;  // first step: buf is 0, so b = d
    buf[i] = b;
    p[i] += -lr * (kNesterov ? d + momentum * b : b);
  }
}

template <bool kScale, bool kDecay>
void sgdPlainLoop(float* p, const float* g, int64_t n, float lr, float wd,
                  float scale) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    float gi = kScale ? g[i] * scale : g[i];
    p[i] += -lr * (kDecay ? gi + wd * p[i] : gi);
  }
}

struct AdamScalars {
  float w1;         // 1 - beta1, the lerp weight of the gradient
  float beta2, c2;  // c2 = 1 - beta2
  float bc2Sqrt;    // sqrt(1 - beta2^t)
  float eps;
  float negStep;  // -lr / (1 - beta1^t)
  float wd;       // L2 coefficient (0 for adamw)
  float shrink;   // adamw: 1 - lr*wd, applied to p first
  float scale;    // gradient scale (clipping)
};

// m.lerp_(d, w1) exactly as ATen computes lerp: the formula depends on
// whether the weight is below 0.5.
template <bool kScale, bool kShrink, bool kDecay, bool kSmallWeight>
void adamLoop(float* p, const float* g, float* m, float* v, int64_t n,
              const AdamScalars& s) {
  const float oneMinusW1 = 1.f - s.w1;
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    float pi = kShrink ? p[i] * s.shrink : p[i];
    float gi = kScale ? g[i] * s.scale : g[i];
    float d = kDecay ? gi + s.wd * pi : gi;
    float mi =
        kSmallWeight ? m[i] + s.w1 * (d - m[i]) : d - (d - m[i]) * oneMinusW1;
    float vi = v[i] * s.beta2 + s.c2 * d * d;
    m[i] = mi;
    v[i] = vi;
    p[i] = pi + s.negStep * mi / (std::sqrt(vi) / s.bc2Sqrt + s.eps);
  }
}

using AdamLoop = void (*)(float*, const float*, float*, float*, int64_t,
                          const AdamScalars&);

template <bool kScale, bool kShrink>
AdamLoop adamVariant(bool decay, bool small) {
  return decay ? (small ? adamLoop<kScale, kShrink, true, true>
                        : adamLoop<kScale, kShrink, true, false>)
               : (small ? adamLoop<kScale, kShrink, false, true>
                        : adamLoop<kScale, kShrink, false, false>);
}

using SgdLoop = void (*)(float*, const float*, float*, int64_t, float, float,
                         float, float);

template <bool kScale>
SgdLoop sgdVariant(bool decay, bool nesterov) {
  return decay ? (nesterov ? sgdMomentumLoop<kScale, true, true>
                           : sgdMomentumLoop<kScale, true, false>)
               : (nesterov ? sgdMomentumLoop<kScale, false, true>
                           : sgdMomentumLoop<kScale, false, false>);
}

class Sgd final : public Optimizer {
 public:
  Sgd(const SolverConfig& c, ParamStore& params)
      : Optimizer(params),
        momentum_(c.momentum),
        wd_(c.weightDecay),
        nesterov_(c.nesterov) {
    if (momentum_ != 0.f) buf_ = stateArena();
  }

  void update(float lr, float scale) override {
    const bool decay = wd_ != 0.f, scaled = scale != 1.f;
    float* p = params_.paramArena();
    const float* g = params_.gradArena();
    const int64_t n = params_.arenaSize();
    if (buf_.empty()) {
      auto loop = scaled ? (decay ? sgdPlainLoop<true, true>
                                  : sgdPlainLoop<true, false>)
                         : (decay ? sgdPlainLoop<false, true>
                                  : sgdPlainLoop<false, false>);
      loop(p, g, n, lr, wd_, scale);
      return;
    }
    auto loop = scaled ? sgdVariant<true>(decay, nesterov_)
                       : sgdVariant<false>(decay, nesterov_);
    loop(p, g, buf_.data(), n, lr, momentum_, wd_, scale);
  }

  std::vector<std::pair<std::string, std::span<float>>> state() override {
    std::vector<std::pair<std::string, std::span<float>>> out;
    if (!buf_.empty()) addViews(out, buf_, "momentum");
    return out;
  }

 private:
  float momentum_, wd_;
  bool nesterov_;
  std::vector<float> buf_;  // arena layout; empty: no momentum
};

class Adam final : public Optimizer {
 public:
  Adam(const SolverConfig& c, ParamStore& params, bool decoupled)
      : Optimizer(params),
        beta1_(c.beta1),
        beta2_(c.beta2),
        eps_(c.epsilon),
        wd_(c.weightDecay),
        decoupled_(decoupled),
        m_(stateArena()),
        v_(stateArena()) {}

  void update(float lr, float scale) override {
    const double t = static_cast<double>(steps_);
    const double bc1 = 1.0 - std::pow(static_cast<double>(beta1_), t);
    const double bc2 = 1.0 - std::pow(static_cast<double>(beta2_), t);
    AdamScalars s;
    s.w1 = static_cast<float>(1.0 - beta1_);
    s.beta2 = beta2_;
    s.c2 = static_cast<float>(1.0 - beta2_);
    s.bc2Sqrt = static_cast<float>(std::sqrt(bc2));
    s.eps = eps_;
    s.negStep = static_cast<float>(-(static_cast<double>(lr) / bc1));
    s.wd = decoupled_ ? 0.f : wd_;
    s.shrink = static_cast<float>(1.0 - static_cast<double>(lr) *
                                            static_cast<double>(wd_));
    s.scale = scale;
    const bool decay = s.wd != 0.f, small = std::fabs(s.w1) < 0.5f;
    const bool shrink = decoupled_ && wd_ != 0.f, scaled = scale != 1.f;
    AdamLoop loop = scaled ? (shrink ? adamVariant<true, true>(decay, small)
                                     : adamVariant<true, false>(decay, small))
                           : (shrink ? adamVariant<false, true>(decay, small)
                                     : adamVariant<false, false>(decay, small));
    loop(params_.paramArena(), params_.gradArena(), m_.data(), v_.data(),
         params_.arenaSize(), s);
  }

  std::vector<std::pair<std::string, std::span<float>>> state() override {
    std::vector<std::pair<std::string, std::span<float>>> out;
    for (const Slot& sl : slots_) {
      const std::string& name = params_.def(sl.param).name;
      int64_t off = params_.arenaOffset(sl.param);
      out.emplace_back(name + "/m", std::span<float>(m_.data() + off, sl.size));
      out.emplace_back(name + "/v", std::span<float>(v_.data() + off, sl.size));
    }
    return out;
  }

 private:
  float beta1_, beta2_, eps_, wd_;
  bool decoupled_;
  std::vector<float> m_, v_;  // arena layout
};

// Sum of squares of the gradient arena in double, over fixed chunks summed
// in order (independent of the thread count).
double gradSquaredSum(ParamStore& params) {
  constexpr int64_t kChunk = 1 << 14;
  const float* g = params.gradArena();
  const int64_t n = params.arenaSize();
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<double> partial(size_t(std::max<int64_t>(chunks, 1)), 0.0);
#pragma omp parallel for schedule(static) if (chunks > 1)
  for (int64_t c = 0; c < chunks; ++c) {
    double sum = 0;
    const int64_t end = std::min(n, (c + 1) * kChunk);
    for (int64_t i = c * kChunk; i < end; ++i)
      sum += static_cast<double>(g[i]) * static_cast<double>(g[i]);
    partial[size_t(c)] = sum;
  }
  double sum = 0;
  for (double x : partial) sum += x;
  return sum;
}

}  // namespace

Optimizer::Optimizer(ParamStore& params) : params_(params) {
  for (int p = 0; p < params.numParams(); ++p)
    if (params.def(p).trainable)
      slots_.push_back({p, static_cast<size_t>(params.size(p))});
}

Optimizer::~Optimizer() = default;

std::vector<float> Optimizer::stateArena() const {
  return std::vector<float>(size_t(params_.arenaSize()), 0.f);
}

void Optimizer::addViews(
    std::vector<std::pair<std::string, std::span<float>>>& out,
    std::vector<float>& arena, const char* suffix) const {
  for (const Slot& s : slots_)
    out.emplace_back(params_.def(s.param).name + "/" + suffix,
                     std::span<float>(arena.data() + params_.arenaOffset(s.param),
                                      s.size));
}

std::unique_ptr<Optimizer> Optimizer::create(const SolverConfig& c,
                                             ParamStore& params) {
  try {
    if (c.optimizer == "sgd") return std::make_unique<Sgd>(c, params);
    if (c.optimizer == "adam") return std::make_unique<Adam>(c, params, false);
    if (c.optimizer == "adamw") return std::make_unique<Adam>(c, params, true);
  } catch (const std::bad_alloc&) {
    int64_t elements = 0;
    for (int p = 0; p < params.numParams(); ++p)
      if (params.def(p).trainable) elements += params.size(p);
    throw IoError(SourceLoc{}, "", "",
                  c.optimizer + " optimizer: cannot allocate its state (" +
                      std::to_string(c.optimizer == "sgd" ? 1 : 2) + " x " +
                      std::to_string(elements * 4) + " bytes): out of memory");
  }
  throw UsageError(SourceLoc{}, "", "",
                   "unknown optimizer '" + c.optimizer +
                       "'; expected one of sgd, adam, adamw");
}

float clipCoefficient(ParamStore& params, float maxNorm, float* normOut) {
  if (maxNorm <= 0.f) return 1.f;
  const double norm = std::sqrt(gradSquaredSum(params));
  if (normOut) *normOut = static_cast<float>(norm);
  if (!std::isfinite(norm)) return 1.f;
  const float coef =
      static_cast<float>(static_cast<double>(maxNorm) / (norm + 1e-6));
  return coef >= 1.f ? 1.f : coef;
}

float clipGradNorm(ParamStore& params, float maxNorm) {
  float norm = 0.f;
  const float coef = clipCoefficient(params, maxNorm, &norm);
  if (maxNorm <= 0.f) norm = static_cast<float>(std::sqrt(gradSquaredSum(params)));
  if (coef == 1.f) return norm;
  float* g = params.gradArena();
  const int64_t n = params.arenaSize();
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) g[i] *= coef;
  return norm;
}

}  // namespace tapeflow
