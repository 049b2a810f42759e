// train/optimizer.cpp - SGD, Adam and AdamW over a ParamStore.
// The arithmetic follows PyTorch's single-tensor implementations term by
// term (scalars computed in double, then used as float), so results agree
// with torch.optim to float rounding.
#include "train/optimizer.h"

#include <cmath>
#include <new>
#include <string>

#include "core/error.h"

namespace tapeflow {
namespace {

// NOTE: the loops are templates over the options so each variant is a
// branch-free loop the compiler can vectorise; large tensors are split
// across the OpenMP threads (elementwise, so the result does not depend on
// the thread count).
constexpr size_t kParallelMin = 1 << 15;

template <bool kDecay, bool kNesterov>
void sgdMomentumLoop(float* p, const float* g, float* buf, size_t n, float lr,
                     float momentum, float wd) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (size_t i = 0; i < n; ++i) {
    float d = kDecay ? g[i] + wd * p[i] : g[i];
    float b = buf[i] * momentum + d;  // first step: buf is 0, so b = d
    buf[i] = b;
    p[i] += -lr * (kNesterov ? d + momentum * b : b);
  }
}

template <bool kDecay>
void sgdPlainLoop(float* p, const float* g, size_t n, float lr, float wd) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (size_t i = 0; i < n; ++i)
    p[i] += -lr * (kDecay ? g[i] + wd * p[i] : g[i]);
}

struct AdamScalars {
  float w1;         // 1 - beta1, the lerp weight of the gradient
  float beta2, c2;  // c2 = 1 - beta2
  float bc2Sqrt;    // sqrt(1 - beta2^t)
  float eps;
  float negStep;  // -lr / (1 - beta1^t)
  float wd;       // L2 coefficient (0 for adamw)
};

// m.lerp_(d, w1) exactly as ATen computes lerp: the formula depends on
// whether the weight is below 0.5.
template <bool kDecay, bool kSmallWeight>
void adamLoop(float* p, const float* g, float* m, float* v, size_t n,
              const AdamScalars& s) {
  const float oneMinusW1 = 1.f - s.w1;
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (size_t i = 0; i < n; ++i) {
    float d = kDecay ? g[i] + s.wd * p[i] : g[i];
    float mi =
        kSmallWeight ? m[i] + s.w1 * (d - m[i]) : d - (d - m[i]) * oneMinusW1;
    float vi = v[i] * s.beta2 + s.c2 * d * d;
    m[i] = mi;
    v[i] = vi;
    p[i] += s.negStep * mi / (std::sqrt(vi) / s.bc2Sqrt + s.eps);
  }
}

class Sgd final : public Optimizer {
 public:
  Sgd(const SolverConfig& c, ParamStore& params)
      : Optimizer(params),
        momentum_(c.momentum),
        wd_(c.weightDecay),
        nesterov_(c.nesterov) {
    if (momentum_ != 0.f)
      for (const Slot& s : slots_) buf_.emplace_back(s.size, 0.f);
  }

  void step(float lr) override {
    ++steps_;
    bool decay = wd_ != 0.f;
    for (size_t k = 0; k < slots_.size(); ++k) {
      const Slot& s = slots_[k];
      float* p = params_.data(s.param);
      const float* g = params_.gradData(s.param);
      if (buf_.empty()) {
        (decay ? sgdPlainLoop<true> : sgdPlainLoop<false>)(p, g, s.size, lr,
                                                           wd_);
        continue;
      }
      auto loop = decay ? (nesterov_ ? sgdMomentumLoop<true, true>
                                     : sgdMomentumLoop<true, false>)
                        : (nesterov_ ? sgdMomentumLoop<false, true>
                                     : sgdMomentumLoop<false, false>);
      loop(p, g, buf_[k].data(), s.size, lr, momentum_, wd_);
    }
  }

  std::vector<std::pair<std::string, std::vector<float>*>> state() override {
    std::vector<std::pair<std::string, std::vector<float>*>> out;
    for (size_t k = 0; k < buf_.size(); ++k)
      out.emplace_back(params_.def(slots_[k].param).name + "/momentum",
                       &buf_[k]);
    return out;
  }

 private:
  float momentum_, wd_;
  bool nesterov_;
  std::vector<std::vector<float>> buf_;  // one per slot; empty: no momentum
};

class Adam final : public Optimizer {
 public:
  Adam(const SolverConfig& c, ParamStore& params, bool decoupled)
      : Optimizer(params),
        beta1_(c.beta1),
        beta2_(c.beta2),
        eps_(c.epsilon),
        wd_(c.weightDecay),
        decoupled_(decoupled) {
    for (const Slot& s : slots_) {
      m_.emplace_back(s.size, 0.f);
      v_.emplace_back(s.size, 0.f);
    }
  }

  void step(float lr) override {
    ++steps_;
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
    const bool decay = s.wd != 0.f, small = std::fabs(s.w1) < 0.5f;
    const float shrink = static_cast<float>(1.0 - static_cast<double>(lr) *
                                                      static_cast<double>(wd_));
    auto loop = decay
                    ? (small ? adamLoop<true, true> : adamLoop<true, false>)
                    : (small ? adamLoop<false, true> : adamLoop<false, false>);
    for (size_t k = 0; k < slots_.size(); ++k) {
      const Slot& sl = slots_[k];
      float* p = params_.data(sl.param);
      if (decoupled_ && wd_ != 0.f)
        for (size_t i = 0; i < sl.size; ++i) p[i] *= shrink;
      loop(p, params_.gradData(sl.param), m_[k].data(), v_[k].data(), sl.size,
           s);
    }
  }

  std::vector<std::pair<std::string, std::vector<float>*>> state() override {
    std::vector<std::pair<std::string, std::vector<float>*>> out;
    for (size_t k = 0; k < slots_.size(); ++k) {
      const std::string& name = params_.def(slots_[k].param).name;
      out.emplace_back(name + "/m", &m_[k]);
      out.emplace_back(name + "/v", &v_[k]);
    }
    return out;
  }

 private:
  float beta1_, beta2_, eps_, wd_;
  bool decoupled_;
  std::vector<std::vector<float>> m_, v_;
};

}  // namespace

Optimizer::Optimizer(ParamStore& params) : params_(params) {
  for (int p = 0; p < params.numParams(); ++p)
    if (params.def(p).trainable)
      slots_.push_back({p, static_cast<size_t>(params.size(p))});
}

Optimizer::~Optimizer() = default;

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

float clipGradNorm(ParamStore& params, float maxNorm) {
  double sum = 0;  // double: the order of a float sum would matter
  for (int p = 0; p < params.numParams(); ++p) {
    if (!params.def(p).trainable) continue;
    const float* g = params.gradData(p);
    int64_t n = params.size(p);
    for (int64_t i = 0; i < n; ++i)
      sum += static_cast<double>(g[i]) * static_cast<double>(g[i]);
  }
  const double norm = std::sqrt(sum);
  if (maxNorm <= 0.f || !std::isfinite(norm)) return static_cast<float>(norm);
  const float coef =
      static_cast<float>(static_cast<double>(maxNorm) / (norm + 1e-6));
  if (coef >= 1.f) return static_cast<float>(norm);
  for (int p = 0; p < params.numParams(); ++p) {
    if (!params.def(p).trainable) continue;
    float* g = params.gradData(p);
    int64_t n = params.size(p);
    for (int64_t i = 0; i < n; ++i) g[i] *= coef;
  }
  return static_cast<float>(norm);
}

}  // namespace tapeflow
