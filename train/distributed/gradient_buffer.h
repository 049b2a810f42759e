// train/distributed/gradient_buffer.h - the trainable gradients of a
// ParamStore packed into one contiguous float buffer (params in reverse
// store order: the backward pass finishes the last layers' gradients
// first, and the bucketed allreduce sends the buffer from its start), the
// unit the allreduce works on, with room for a few more floats
// the caller reduces in the same call (loss, accuracy, stop and failure
// flags). The per-parameter gradient buffers are copied in and out (one
// memcpy each way); a contiguous gradient arena in the store would let the
// allreduce work in place and this class would only hand out its span.
#pragma once

#include <cstddef>
#include <vector>

#include "core/param_store.h"

namespace tapeflow {

class GradientBuffer {
 public:
  /// Gradients of every trainable param of `store` (which must outlive the
  /// buffer), followed by `extra` floats.
  GradientBuffer(ParamStore& store, size_t extra);

  /// Copies the store's gradients in (first) or adds them to what is there.
  void accumulate(bool first);
  /// Copies one slot's gradient in (slots in buffer order).
  void pack(size_t slot);
  /// Writes buffer * scale back into the store's gradients.
  void unpack(float scale);

  float* data() { return buf_.data(); }
  /// Floats in the buffer: gradients, then the extra ones.
  size_t size() const { return buf_.size(); }
  size_t gradientFloats() const { return gradients_; }
  float* extra() { return buf_.data() + gradients_; }
  /// The params in buffer order: param index, offset and size in floats.
  struct Slot {
    int param;
    size_t offset, size;
  };
  const std::vector<Slot>& slots() const { return slots_; }

 private:
  ParamStore& store_;
  std::vector<Slot> slots_;
  size_t gradients_ = 0;
  std::vector<float> buf_;
};

}  // namespace tapeflow
