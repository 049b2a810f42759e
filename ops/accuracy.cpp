// ops/accuracy.cpp - Accuracy:
//   accuracy = #{n : argmax_c logits[n, c] == labels[n]} / N
//   (ties: the first index; labels outside [0, C) never match). No gradient:
//   the output is a count.
// NOTE: oneDNN has no arg-max or gather, so this is one loop over the rows of
// the plain [N, C] logits.
#include "ops/op_kit.h"

namespace tapeflow::ops {
namespace {

struct AccuracyState {
  Relayout toPlain;  ///< logits -> plain [N, C]
  int64_t rows = 0, classes = 0;
};


void prepare(PrepareContext& ctx) {
  auto& st = ctx.makeState<AccuracyState>();
  const Dims& dims = ctx.inputDims(0);
  st.rows = dims[0];
  st.classes = dims[1];
  st.toPlain = Relayout(ctx, ctx.inputDesc(0), plainDesc(dims));
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<AccuracyState>();
  dnnl::stream& s = ctx.stream();
  dnnl::memory logits = st.toPlain(s, ctx.input(0));
  s.wait();
  const float* x = data(logits);
  const int32_t* labels = hostPtr<int32_t>(ctx.input(1));
  int64_t correct = 0;
  for (int64_t n = 0; n < st.rows; ++n) {
    const float* row = x + n * st.classes;
    correct += labels[n] == rowArgMax(row, st.classes);
  }
  *data(ctx.output(0)) = float(double(correct) / double(st.rows));
}

}  // namespace

const OpDef& accuracyOp() {
  static const OpDef def = [] {
    OpDef d("Accuracy");
    d.constInput("logits")
        .constInput("labels", DType::I32)
        .output("accuracy")
        .doc("fraction of rows whose arg-max equals the label")
        .nonDifferentiable("a count")
        .shapes(inferLogitsLabelsShapes)
        .prepare(prepare)
        .forward(forward)
        .flops([](const ShapeContext& ctx) { return numel(ctx.inputDims(0)); })
        .samples([] {
          SampleCase a;
          a.label = "4x10";
          a.inputs = {{4, 10}, {4}};
          a.dtypes = {DType::F32, DType::I32};
          a.intRange = 10;
          SampleCase b;
          b.label = "3x13";  // 13: not a multiple of 8
          b.inputs = {{3, 13}, {3}};
          b.dtypes = {DType::F32, DType::I32};
          b.intRange = 13;
          return std::vector<SampleCase>{a, b};
        });
    return d;
  }();
  return def;
}

}  // namespace tapeflow::ops
