// ops/nll_loss.cpp - NLLLoss: loss = mean_n (or sum_n) of -logp[n, labels[n]]
//   d logp[n, c] = -(c == labels[n]) * dloss (/ N if mean)
// logp: log-probabilities [N, C] (e.g. from LogSoftmax); labels: i32 [N].
// NOTE: oneDNN has no gather, so picking logp[n, label] is a loop over N,
// and the gradient a loop writing one value per row.
// NOTE: a label outside [0, C) is a DataError (node, row, label, class
// count) thrown by forward, as in SoftmaxCrossEntropy; backward runs only
// after a forward that checked every label.
#include <cstring>

#include "ops/internal/loss_common.h"

namespace tapeflow::ops {
namespace {

struct NllLossState {
  Relayout toPlain;   ///< logp -> plain [N, C]
  dnnl::memory logp;  ///< plain, from the last forward
  int64_t rows = 0, classes = 0;
  bool mean = true;
  LabelCheck labels;
};

void prepare(PrepareContext& ctx) {
  auto& st = ctx.makeState<NllLossState>();
  const Dims& dims = ctx.inputDims(0);
  st.rows = dims[0];
  st.classes = dims[1];
  st.mean = ctx.attrString("reduction") == "mean";
  st.labels = LabelCheck(ctx, st.classes);
  const dnnl::memory::desc plain = plainDesc(dims);
  st.toPlain = Relayout(ctx, ctx.inputDesc(0), plain);
  // Backward writes plain rows; the engine brings them to the logp layout.
  if (ctx.needsGrad(0)) ctx.setGradInputDesc(0, plain);
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<NllLossState>();
  dnnl::stream& s = ctx.stream();
  st.logp = st.toPlain(s, ctx.input(0));
  s.wait();
  const float* logp = data(st.logp);
  const int32_t* labels = hostPtr<int32_t>(ctx.input(1));
  double loss = 0;
  for (int64_t n = 0; n < st.rows; ++n) {
    if (!st.labels.valid(labels[n])) st.labels.fail(n, labels[n]);
    loss -= logp[n * st.classes + labels[n]];
  }
  *data(ctx.output(0)) = float(st.mean ? loss / double(st.rows) : loss);
}

void backward(GradContext& ctx) {
  if (!ctx.needsGrad(0)) return;
  auto& st = ctx.state<NllLossState>();
  float g = *data(ctx.gradOutput(0));
  if (st.mean) g /= float(st.rows);
  const int32_t* labels = hostPtr<int32_t>(ctx.input(1));
  float* dx = data(ctx.gradInput(0));
  std::memset(dx, 0, size_t(st.rows * st.classes) * sizeof(float));
  for (int64_t n = 0; n < st.rows; ++n)
    dx[n * st.classes + labels[n]] = -g;
}

}  // namespace

const OpDef& nllLossOp() {
  static const OpDef def = [] {
    OpDef d("NLLLoss");
    d.input("logp").constInput("labels", DType::I32).output("loss");
    addReductionAttr(d);
    d.doc("negative log-likelihood of log-probabilities [N,C] against "
          "integer class labels [N]");
    d.shapes(inferLogitsLabelsShapes).prepare(prepare);
    d.forward(forward).backward(backward);
    d.flops([](const ShapeContext& ctx) { return ctx.inputDims(0)[0]; });
    d.samples([] {
      SampleCase a;
      a.label = "4x10";
      a.inputs = {{4, 10}, {4}};
      a.dtypes = {DType::F32, DType::I32};
      a.intRange = 10;
      SampleCase b;
      b.label = "3x13_sum";  // 13: not a multiple of 8
      b.inputs = {{3, 13}, {3}};
      b.dtypes = {DType::F32, DType::I32};
      b.intRange = 13;
      b.attrs = {{"reduction", AttrValue::ofString("sum")}};
      return std::vector<SampleCase>{a, b};
    });
    return d;
  }();
  return def;
}

}  // namespace tapeflow::ops
