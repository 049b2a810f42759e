// ops/internal/loss_common.cpp - ports, attributes, shapes and prepare of
// the pointwise losses.
#include "ops/internal/loss_common.h"

#include <cmath>

namespace tapeflow::ops {

LabelCheck::LabelCheck(const NodeView& node, int64_t classes)
    : loc_(node.node().loc),
      node_(node.node().name),
      op_(node.node().op),
      classes_(classes) {}

void LabelCheck::fail(int64_t row, int32_t label) const {
  throw DataError(loc_, node_, op_,
                  "row " + std::to_string(row) + " has label " +
                      std::to_string(label) + ", expected a class in [0, " +
                      std::to_string(classes_) + ") (" +
                      std::to_string(classes_) + " classes)");
}
namespace {

void inferShapes(ShapeContext& ctx, const PointwiseLossSpec& spec) {
  if (spec.paramAttr) {
    float k = ctx.attrFloat(spec.paramAttr);
    if (!std::isfinite(k) || k <= 0)
      ctx.failAttr(spec.paramAttr, "must be finite and > 0, found " +
                                       AttrValue::ofFloat(k).str());
  }
  requireSameDims(ctx, 0, 1);
  ctx.setOutput(0, {});
}

void prepare(PrepareContext& ctx, const PointwiseLossSpec& spec) {
  auto& st = ctx.makeState<PointwiseLossState>();
  const Dims& dims = ctx.inputDims(0);
  const dnnl::memory::desc plain = plainDesc(dims);
  st.predPlain = Relayout(ctx, ctx.inputDesc(0), plain);
  st.targetPlain = Relayout(ctx, ctx.inputDesc(1), plain);
  st.n = numel(dims);
  st.mean = ctx.attrString("reduction") == "mean";
  st.param = spec.paramAttr ? ctx.attrFloat(spec.paramAttr) : 0.f;
  // Gradients are written plain; the engine brings them to each layout.
  for (int i = 0; i < 2; ++i)
    if (ctx.needsGrad(i)) ctx.setGradInputDesc(i, plain);
}

}  // namespace

void addReductionAttr(OpDef& def) {
  def.attr("reduction", AttrValue::ofString("mean"),
           "mean or sum of the per-element (or per-row) losses");
  def.choices({"mean", "sum"});
}

PointwiseLossState& bindPlain(ExecContext& ctx) {
  auto& st = ctx.state<PointwiseLossState>();
  dnnl::stream& s = ctx.stream();
  st.pred = st.predPlain(s, ctx.input(0));
  st.target = st.targetPlain(s, ctx.input(1));
  s.wait();
  return st;
}

OpDef pointwiseLossDef(std::string name, const PointwiseLossSpec& spec,
                       std::string doc) {
  OpDef def(std::move(name));
  def.input(spec.predName).input("target").output("loss").doc(std::move(doc));
  addReductionAttr(def);
  if (spec.paramAttr)
    def.attr(spec.paramAttr, AttrValue::ofFloat(spec.paramDefault),
             spec.paramDoc);
  def.shapes([spec](ShapeContext& ctx) { inferShapes(ctx, spec); });
  def.prepare([spec](PrepareContext& ctx) { prepare(ctx, spec); });
  def.flops([](const ShapeContext& ctx) { return 4 * numel(ctx.inputDims(0)); });
  def.samples([spec] {
    SampleCase a;
    a.label = "4x3";
    a.inputs = {{4, 3}, {4, 3}};
    SampleCase b;
    b.label = "2x13_sum";  // 13: not a multiple of 8
    b.inputs = {{2, 13}, {2, 13}};
    b.attrs = {{"reduction", AttrValue::ofString("sum")}};
    std::vector<SampleCase> all{a, b};
    for (SampleCase& c : all) {
      c.low = spec.sampleLow;
      c.high = spec.sampleHigh;
      c.step = spec.sampleStep;
    }
    return all;
  });
  return def;
}

}  // namespace tapeflow::ops
