// ops/op_kit.h - everything an op file needs: contexts, the OpDef builder,
// oneDNN shorthands and the one layout helper.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "core/error.h"
#include "core/op_context.h"
#include "core/op_def.h"
#include "core/shape.h"
#include "core/unbroadcast.h"

namespace tapeflow::ops {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;
using dnnl::algorithm;
using dnnl::prop_kind;

/// oneDNN dims from ours.
inline dnnl::memory::dims toDnnl(const Dims& d) {
  return dnnl::memory::dims(d.begin(), d.end());
}
/// A descriptor that lets the primitive choose the layout (conv, linear).
inline dnnl::memory::desc anyDesc(const Dims& d) {
  return dnnl::memory::desc(toDnnl(d), dt::f32, tag::any);
}
/// Forward prop kind for the plan's mode.
inline prop_kind forwardKind(const PrepareContext& ctx) {
  return ctx.training() ? prop_kind::forward_training
                        : prop_kind::forward_inference;
}

/// Brings a tensor into the layout a primitive wants, reordering only when
/// the layouts differ (the one place that comparison is made).
class Relayout {
 public:
  /// In: convert an input held in `from` to `to` (operator()).
  /// Out: a primitive writes `from` into target(); finish() converts it to
  /// the caller's `to` buffer.
  enum Direction { In, Out };
  Relayout() = default;
  /// Prepares the conversion from -> to; counts a reorder when needed.
  Relayout(PrepareContext& ctx, const dnnl::memory::desc& from,
           const dnnl::memory::desc& to, Direction dir = In) {
    if (from == to) return;
    buf_ = ctx.scratch(dir == In ? to : from);
    prim_ = dnnl::reorder(
        dnnl::reorder::primitive_desc(ctx.engine(), from, ctx.engine(), to));
    ctx.countReorder();
  }
  /// Returns `m` itself or its converted copy (In).
  dnnl::memory operator()(dnnl::stream& s, const dnnl::memory& m) {
    if (!prim_) return m;
    prim_->execute(s, {{DNNL_ARG_FROM, const_cast<dnnl::memory&>(m)},
                       {DNNL_ARG_TO, buf_}});
    return buf_;
  }
  bool active() const { return prim_.has_value(); }
  /// In: the converted copy made by the last operator() call (or `held`).
  /// Out: the buffer the primitive should write to (or `held`).
  dnnl::memory target(const dnnl::memory& held) const {
    return prim_ ? buf_ : held;
  }
  /// Out: converts the primitive's result into finalDst.
  void finish(dnnl::stream& s, dnnl::memory& finalDst) {
    if (prim_)
      prim_->execute(s, {{DNNL_ARG_FROM, buf_}, {DNNL_ARG_TO, finalDst}});
  }

 private:
  std::optional<dnnl::reorder> prim_;
  dnnl::memory buf_;
};

/// Records the implementation chosen by a primitive descriptor (profiling,
/// benchmarks) and rejects the slow reference kernels nobody asked for.
template <class PD>
std::string implName(const PD& pd) {
  return pd.impl_info_str();
}

/// Shape helpers for inferShapes.
void requireRank(const ShapeContext& ctx, int input, int rank);
void requireSameDims(const ShapeContext& ctx, int a, int b);
/// Output spatial size of a window op; fails with the attribute named.
int64_t windowOut(const ShapeContext& ctx, int64_t in, int64_t kernel,
                  int64_t stride, int64_t padBegin, int64_t padEnd,
                  int64_t dilation, const char* axis);

/// Shapes of the (logits [N,C], labels [N]) ops: checks ranks and that
/// there is one label per row; sets output 0 to a scalar.
void inferLogitsLabelsShapes(ShapeContext& ctx);
/// Index of the largest value of row[0..classes) (the first on ties).
inline int64_t rowArgMax(const float* row, int64_t classes) {
  int64_t best = 0;
  for (int64_t c = 1; c < classes; ++c)
    if (row[c] > row[best]) best = c;
  return best;
}

/// A flat tensor view (plain memory) for the few loops ops may run.
inline float* data(const dnnl::memory& m) { return hostPtr<float>(m); }

}  // namespace tapeflow::ops
