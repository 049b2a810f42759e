// ops/softmax_cross_entropy.cpp - SoftmaxCrossEntropy:
//   loss = mean_n (or sum_n) of -logp[n, labels[n]], logp = log_softmax(logits)
//   d logits[n, c] = (exp(logp[n, c]) - (c == labels[n])) * dloss (/ N if mean)
// NOTE: log-softmax runs on oneDNN (softmax_v2, softmax_log: max-subtracted,
// so +-1e4 logits stay finite). oneDNN has no gather, so picking
// -logp[n, label] is a loop over N. The backward is one loop over [N, C]:
// oneDNN's softmax backward would need the scaled one-hot d logp built by a
// loop anyway, then a second pass (and it runs ref:any).
// NOTE: a label outside [0, C) is a DataError naming the node, the row, the
// label and the class count, thrown by forward while it picks -logp[n, label]
// (one compare per row; nothing is read out of bounds).
#include <cmath>

#include "ops/internal/loss_common.h"

namespace tapeflow::ops {
namespace {

struct SoftmaxCrossEntropyState {
  Relayout toPlain;  ///< logits -> plain [N, C]
  dnnl::softmax_v2_forward logSoftmax;
  dnnl::memory logp;  ///< plain [N, C], kept for backward
  int64_t rows = 0, classes = 0;
  bool mean = true;
  LabelCheck labels;
};

void prepare(PrepareContext& ctx) {
  auto& st = ctx.makeState<SoftmaxCrossEntropyState>();
  const Dims& dims = ctx.inputDims(0);
  st.rows = dims[0];
  st.classes = dims[1];
  st.mean = ctx.attrString("reduction") == "mean";
  st.labels = LabelCheck(ctx, st.classes);
  const dnnl::memory::desc plain = plainDesc(dims);
  st.toPlain = Relayout(ctx, ctx.inputDesc(0), plain);
  dnnl::softmax_v2_forward::primitive_desc pd(
      {forwardKind(ctx), algorithm::softmax_log, plain, plain, 1},
      ctx.engine());
  st.logSoftmax = dnnl::softmax_v2_forward(pd);
  ctx.noteImpl("log_softmax", pd.impl_info_str());
  st.logp = ctx.scratch(pd.dst_desc());
  // Backward writes plain rows; the engine brings them to the logits layout.
  if (ctx.needsGrad(0)) ctx.setGradInputDesc(0, plain);
}

void forward(ExecContext& ctx) {
  auto& st = ctx.state<SoftmaxCrossEntropyState>();
  dnnl::stream& s = ctx.stream();
  dnnl::memory logits = st.toPlain(s, ctx.input(0));
  st.logSoftmax.execute(s, {{DNNL_ARG_SRC, logits}, {DNNL_ARG_DST, st.logp}});
  s.wait();
  const float* logp = data(st.logp);
  const int32_t* labels = hostPtr<int32_t>(ctx.input(1));
  double loss = 0;
  for (int64_t n = 0; n < st.rows; ++n) {
    int32_t k = labels[n];
    if (!st.labels.valid(k)) st.labels.fail(n, k);
    loss -= logp[n * st.classes + k];
  }
  *data(ctx.output(0)) = float(st.mean ? loss / double(st.rows) : loss);
}

void backward(GradContext& ctx) {
  if (!ctx.needsGrad(0)) return;
  auto& st = ctx.state<SoftmaxCrossEntropyState>();
  float g = *data(ctx.gradOutput(0));
  if (st.mean) g /= float(st.rows);
  const float* logp = data(st.logp);
  const int32_t* labels = hostPtr<int32_t>(ctx.input(1));
  float* dx = data(ctx.gradInput(0));
  for (int64_t n = 0; n < st.rows; ++n) {
    int32_t k = labels[n];
    const float* lp = logp + n * st.classes;
    float* d = dx + n * st.classes;
    for (int64_t c = 0; c < st.classes; ++c) d[c] = std::exp(lp[c]) * g;
    d[k] -= g;
  }
}

}  // namespace

const OpDef& softmaxCrossEntropyOp() {
  static const OpDef def = [] {
    OpDef d("SoftmaxCrossEntropy");
    d.input("logits")
        .constInput("labels", DType::I32)
        .output("loss")
        .attr("reduction", AttrValue::ofString("mean"),
              "mean or sum of the per-row losses over the batch")
        .choices({"mean", "sum"})
        .doc("cross entropy of softmax(logits) against integer class labels")
        .shapes(inferLogitsLabelsShapes)
        .prepare(prepare)
        .forward(forward)
        .backward(backward)
        .backwardReads({"labels"})  // and log softmax, kept by forward
        .flops([](const ShapeContext& ctx) {
          // max, subtract, exp, sum, log per element; one gather per row
          return 5 * numel(ctx.inputDims(0)) + ctx.inputDims(0)[0];
        })
        .samples([] {
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
