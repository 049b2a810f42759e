// train/distributed/gradient_buffer.cpp - packing gradients for the
// allreduce.
#include "train/distributed/gradient_buffer.h"

#include <cstring>

namespace tapeflow {

GradientBuffer::GradientBuffer(ParamStore& store, size_t extra) : store_(store) {
  for (int p = store.numParams() - 1; p >= 0; --p) {
    if (!store.def(p).trainable) continue;
    const size_t n = size_t(store.size(p));
    slots_.push_back({p, gradients_, n});
    gradients_ += n;
  }
  buf_.assign(gradients_ + extra, 0.f);
}

void GradientBuffer::accumulate(bool first) {
  for (const Slot& s : slots_) {
    const float* g = store_.gradData(s.param);
    float* d = buf_.data() + s.offset;
    if (first) {
      std::memcpy(d, g, s.size * sizeof(float));
    } else {
#pragma omp simd
      for (size_t i = 0; i < s.size; ++i) d[i] += g[i];
    }
  }
}

void GradientBuffer::pack(size_t slot) {
  const Slot& s = slots_.at(slot);
  std::memcpy(buf_.data() + s.offset, store_.gradData(s.param), s.size * sizeof(float));
}

void GradientBuffer::unpack(float scale) {
  for (const Slot& s : slots_) {
    float* g = store_.gradData(s.param);
    const float* d = buf_.data() + s.offset;
    if (scale == 1.f) {
      std::memcpy(g, d, s.size * sizeof(float));
    } else {
#pragma omp simd
      for (size_t i = 0; i < s.size; ++i) g[i] = d[i] * scale;
    }
  }
}

}  // namespace tapeflow
