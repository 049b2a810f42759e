// core/param_store.cpp - parameter buffers and initializers.
#include "core/param_store.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>
#include <string>
#include <tuple>

#include "core/dnnl_context.h"
#include "core/initializers.h"
#include "core/memory_budget.h"
#include "core/op_context.h"

namespace tapeflow {

uint64_t Rng::next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

float Rng::uniform() {
  return static_cast<float>(next() >> 40) * (1.0f / 16777216.0f);
}

float Rng::normal() {
  double u1 = (static_cast<double>(next() >> 11) + 1.0) * (1.0 / 9007199254740993.0);
  double u2 = static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0);
  return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) *
                            std::cos(6.283185307179586 * u2));
}

std::pair<int64_t, int64_t> fans(const Dims& dims) {
  if (dims.empty()) return {1, 1};
  if (dims.size() == 1) return {dims[0], dims[0]};
  int64_t receptive = 1;
  for (size_t i = 2; i < dims.size(); ++i) receptive *= dims[i];
  return {dims[1] * receptive, dims[0] * receptive};
}

ParamStore::Buffer ParamStore::allocateArena(const char* what) {
  const size_t bytes = size_t(std::max<int64_t>(arenaSize_, kArenaAlign)) * sizeof(float);
  float* p = static_cast<float*>(std::aligned_alloc(64, bytes));
  if (!p) {  // named after the largest trainable param, which is most to blame
    const Graph& g = program_->graph();
    const ParamDef* largest = nullptr;
    int count = 0;
    for (const ParamDef& d : g.params)
      if (d.trainable) {
        ++count;
        if (!largest || numel(d.dims) > numel(largest->dims)) largest = &d;
      }
    throw IoError(largest ? largest->loc : SourceLoc{}, "", "",
                  "param '" + (largest ? largest->name : std::string()) +
                      "': cannot allocate its " + what + ", " + formatBytes(int64_t(bytes)) +
                      " (" + std::to_string(bytes) + " bytes" +
                      (count > 1 ? ", the arena of all " + std::to_string(count) + " trainable params" : "") +
                      "): out of memory (params already hold " + formatBytes(bytesAllocated_) + ")");
  }
  std::memset(p, 0, bytes);
  bytesAllocated_ += int64_t(bytes);
  return Buffer(p);
}

ParamStore::ParamStore(std::shared_ptr<const Program> program)
    : program_(std::move(program)) {
  const Graph& g = program_->graph();
  offset_.assign(g.params.size(), -1);
  for (size_t p = 0; p < g.params.size(); ++p) {
    if (!g.params[p].trainable) continue;
    offset_[p] = arenaSize_;
    int64_t n = numel(g.params[p].dims);
    arenaSize_ += (n + kArenaAlign - 1) / kArenaAlign * kArenaAlign;
  }
  arena_ = allocateArena("values");
  gradArena_ = allocateArena("gradients");
  for (size_t p = 0; p < g.params.size(); ++p) {
    const ParamDef& def = g.params[p];
    dnnl::memory::desc md = plainDesc(def.dims, def.dtype);
    if (def.trainable) {
      values_.emplace_back(md, cpuEngine(), arena_.get() + offset_[p]);
      grads_.emplace_back(md, cpuEngine(), gradArena_.get() + offset_[p]);
    } else {
      values_.push_back(allocate(md, def, "values"));
      grads_.emplace_back();
    }
    valueIndex_.push_back(program_->findValue(def.name));
  }
}

dnnl::memory ParamStore::allocate(const dnnl::memory::desc& md, const ParamDef& def,
                                  const char* what) {
  const int64_t bytes = int64_t(md.get_size());
  std::string why = "out of memory";
  try {
    dnnl::memory m(md, cpuEngine());
    std::memset(m.get_data_handle(), 0, md.get_size());
    bytesAllocated_ += bytes;
    return m;
  } catch (const dnnl::error& e) {
    if (e.status != dnnl_out_of_memory) why = e.what();
  } catch (const std::bad_alloc&) {
  }
  throw IoError(def.loc, "", "",
                "param '" + def.name + "': cannot allocate its " + what + ", " +
                    formatBytes(bytes) + " (" + std::to_string(bytes) + " bytes): " + why +
                    " (params already hold " + formatBytes(bytesAllocated_) + ")");
}

const ParamDef& ParamStore::def(int param) const {
  return program_->graph().params.at(param);
}

float* ParamStore::data(int param) { return hostPtr(values_.at(param)); }
float* ParamStore::gradData(int param) { return hostPtr(grads_.at(param)); }
int64_t ParamStore::size(int param) const { return numel(def(param).dims); }

void ParamStore::initialize(uint64_t seed) {
  Rng rng(seed);
  for (int p = 0; p < numParams(); ++p) {
    const ParamDef& d = def(p);
    float* x = data(p);
    int64_t n = size(p);
    if (!d.data.empty()) {
      std::memcpy(x, d.data.data(), n * sizeof(float));
      continue;
    }
    auto [fanIn, fanOut] = fans(d.dims);
    if (!d.init.weight.empty())  // a bias takes its weight's fans
      for (const ParamDef& w : program_->graph().params)
        if (w.name == d.init.weight) std::tie(fanIn, fanOut) = fans(w.dims);
    if (d.init.fanIn > 0) fanIn = d.init.fanIn;
    // kaiming: gain^2 and fan; defaults (a = 0, leaky_relu, fan_in) give
    // 2 and fan_in exactly, as he_* always did.
    const float gain2 = gainSquared(
        d.init.nonlinearity.empty() ? "leaky_relu" : d.init.nonlinearity,
        d.init.a.value_or(0.f));
    const int64_t fan = d.init.mode == "fan_out" ? fanOut : fanIn;
    const float gain = d.init.gain.value_or(1.f);
    const InitializerInfo* init = findInitializer(d.init.kind);
    if (!init) continue;  // Program::build rejects unknown initializers
    auto fillUniform = [&](float lo, float hi) {
      for (int64_t i = 0; i < n; ++i) x[i] = lo + (hi - lo) * rng.uniform();
    };
    auto fillNormal = [&](float mean, float sd) {
      for (int64_t i = 0; i < n; ++i) x[i] = mean + sd * rng.normal();
    };
    switch (init->kind) {
      case InitKind::Zeros:
        std::fill(x, x + n, 0.f);
        break;
      case InitKind::Ones:
        std::fill(x, x + n, 1.f);
        break;
      case InitKind::Constant:
        std::fill(x, x + n, d.init.value);
        break;
      case InitKind::Uniform:
        fillUniform(d.init.low, d.init.high);
        break;
      case InitKind::Normal:
        fillNormal(d.init.mean, d.init.stddev);
        break;
      case InitKind::XavierUniform: {
        float a = gain * std::sqrt(6.f / float(fanIn + fanOut));
        fillUniform(-a, a);
        break;
      }
      case InitKind::XavierNormal:
        fillNormal(0.f, gain * std::sqrt(2.f / float(fanIn + fanOut)));
        break;
      case InitKind::HeUniform: {
        float a = std::sqrt(gain2 * 3.f / float(fan));
        fillUniform(-a, a);
        break;
      }
      case InitKind::HeNormal:
        fillNormal(0.f, std::sqrt(gain2 / float(fan)));
        break;
      case InitKind::LecunUniform: {
        float a = 2.4f / float(fanIn);
        fillUniform(-a, a);
        break;
      }
      case InitKind::Orthogonal:
        fillOrthogonal(x, d.dims[0], n / d.dims[0], gain, rng);
        break;
      case InitKind::TruncatedNormal:
        fillTruncatedNormal(x, n, d.init.mean, d.init.stddev,
                            d.init.a.value_or(-2.f), d.init.b.value_or(2.f),
                            rng);
        break;
    }
  }
}

}  // namespace tapeflow
