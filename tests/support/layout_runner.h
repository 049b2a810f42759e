// tests/support/layout_runner.h - runs one op with its F32 inputs handed over
// in a blocked oneDNN layout (as a Conv2D producer would), to check ops that
// keep, convert or write gradients in their producer's layout.
#pragma once

#include <map>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <vector>

#include "core/param_store.h"
#include "core/plan.h"
#include "core/program.h"
#include "ops/op_kit.h"
#include "ops/registry.h"
#include "tests/support/op_harness.h"

namespace tapeflow::testing {

/// Test-only op: dst = src, stored in the format tag given by `tag`.
inline const OpDef& toLayoutOp() {
  struct State {
    dnnl::reorder fwd;
    dnnl::reorder bwd;
  };
  static const OpDef def = [] {
    OpDef d("ToLayout");
    d.input("src").output("dst").doc("test: copies src into a format tag");
    d.attr("tag", AttrValue::ofInt(int64_t(dnnl::memory::format_tag::nChw8c)));
    d.shapes([](ShapeContext& c) { c.setOutput(0, c.inputDims(0)); });
    d.prepare([](PrepareContext& c) {
      dnnl::memory::desc md(ops::toDnnl(c.inputDims(0)),
                            dnnl::memory::data_type::f32,
                            dnnl::memory::format_tag(c.attrInt("tag")));
      c.setOutputDesc(0, md);
      auto& st = c.makeState<State>();
      st.fwd = dnnl::reorder(dnnl::reorder::primitive_desc(
          c.engine(), c.inputDesc(0), c.engine(), md));
      st.bwd = dnnl::reorder(dnnl::reorder::primitive_desc(
          c.engine(), md, c.engine(), c.inputDesc(0)));
    });
    d.forward([](ExecContext& c) {
      c.state<State>().fwd.execute(c.stream(), {{DNNL_ARG_FROM, c.input(0)},
                                                {DNNL_ARG_TO, c.output(0)}});
    });
    d.backward([](GradContext& c) {
      if (!c.needsGrad(0)) return;
      c.state<State>().bwd.execute(
          c.stream(),
          {{DNNL_ARG_FROM, c.gradOutput(0)}, {DNNL_ARG_TO, c.gradInput(0)}});
    });
    return d;
  }();
  return def;
}

/// Output and input gradients of one run (plain row-major).
struct LayoutRun {
  std::vector<float> output;
  std::vector<std::vector<float>> grads;  ///< per input
  dnnl::memory::desc outputDesc;          ///< the layout the op produced
};

/// Runs `op` on `inputs`; input i first goes through ToLayout(`tag`) when
/// blocked[i]. Training: seeds d output = `seed` and runs backward too.
inline LayoutRun runWithLayout(const std::string& op,
                               const std::map<std::string, AttrValue>& attrs,
                               const std::vector<HostTensor>& inputs,
                               const std::vector<bool>& blocked,
                               dnnl::memory::format_tag tag,
                               const std::vector<float>& seed,
                               bool training = true) {
  OpRegistry reg;
  reg.add(*ops::registry().find(op));
  reg.add(toLayoutOp());
  Graph g = oneOpGraph(op, attrs, inputs, 1);
  std::vector<Node> converters;
  for (size_t i = 0; i < inputs.size(); ++i) {
    Node& node = g.nodes[0];
    if (!blocked[i]) continue;
    Node conv;
    conv.name = "layout" + std::to_string(i);
    conv.op = "ToLayout";
    conv.attrs["tag"] = AttrValue::ofInt(int64_t(tag));
    conv.inputs = {node.inputs[i]};
    conv.outputs = {"blocked" + std::to_string(i)};
    node.inputs[i] = conv.outputs[0];
    converters.push_back(conv);
  }
  g.nodes.insert(g.nodes.end(), converters.begin(), converters.end());
  auto program = Program::build(g, reg);
  ParamStore store(program);
  store.initialize(0);
  PlanOptions opts;
  opts.mode = training ? Mode::Training : Mode::Inference;
  if (training) opts.gradTargets = {"out0"};
  Plan plan(program, store, opts);
  plan.forward();
  LayoutRun run;
  run.output = plan.readValue("out0");
  run.outputDesc = plan.desc(program->findValue("out0"));
  if (!training) return run;
  plan.seedGrad("out0", seed.data());
  plan.backward();
  for (size_t i = 0; i < inputs.size(); ++i)
    run.grads.push_back(plan.readGrad("in" + std::to_string(i)));
  return run;
}

}  // namespace tapeflow::testing
