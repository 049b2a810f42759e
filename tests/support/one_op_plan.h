// tests/support/one_op_plan.h - a one-node plan that stays alive between
// calls, for tests that change the step, seed gradients by hand, or read
// parameters an op updates in place (running statistics).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/param_store.h"
#include "core/plan.h"
#include "core/program.h"
#include "ops/registry.h"
#include "tests/support/layout_runner.h"
#include "tests/support/op_harness.h"

namespace tapeflow::testing {

struct OneOpPlan {
  std::shared_ptr<const Program> program;
  std::unique_ptr<ParamStore> store;
  std::unique_ptr<Plan> plan;

  /// F32 inputs become params in0, in1, ...; those listed in `constants`
  /// are not trainable (like `constant: true` in a graph file); those in
  /// `layouts` reach the op in that format (through a ToLayout node, as
  /// from a Conv2D producer). In training every F32 output is a gradient
  /// target.
  OneOpPlan(const std::string& op,
            const std::map<std::string, AttrValue>& attrs,
            const std::vector<HostTensor>& inputs, Mode mode,
            const std::vector<int>& constants = {},
            const std::map<int, dnnl::memory::format_tag>& layouts = {}) {
    const OpDef* def = ops::registry().find(op);
    int nout = def ? int(def->outputs().size()) : 1;
    Graph g = oneOpGraph(op, attrs, inputs, nout);
    for (int i : constants)
      for (ParamDef& p : g.params)
        if (p.name == "in" + std::to_string(i)) p.trainable = false;
    for (auto [i, tag] : layouts) {
      Node conv;
      conv.name = "layout" + std::to_string(i);
      conv.op = "ToLayout";
      conv.attrs["tag"] = AttrValue::ofInt(int64_t(tag));
      conv.inputs = {g.nodes[0].inputs[i]};
      conv.outputs = {"layout_out" + std::to_string(i)};
      g.nodes[0].inputs[i] = conv.outputs[0];
      g.nodes.push_back(conv);
    }
    if (def) registry_.add(*def);
    registry_.add(toLayoutOp());
    program = Program::build(g, registry_);
    store = std::make_unique<ParamStore>(program);
    store->initialize(0);
    PlanOptions opts;
    opts.mode = mode;
    opts.batch = 1;
    if (mode == Mode::Training)
      for (int o = 0; o < nout; ++o) {
        std::string name = "out" + std::to_string(o);
        if (program->value(program->findValue(name)).dtype == DType::F32)
          opts.gradTargets.push_back(name);
      }
    plan = std::make_unique<Plan>(program, *store, opts);
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i].dtype != DType::I32) continue;
      auto& m = plan->inputMemory("in" + std::to_string(i));
      int32_t* dst = static_cast<int32_t*>(m.get_data_handle());
      for (size_t k = 0; k < inputs[i].data.size(); ++k)
        dst[k] = int32_t(inputs[i].data[k]);
    }
  }

  /// Current values of the param fed to input i.
  std::vector<float> param(int input) {
    std::string name = "in" + std::to_string(input);
    for (int p = 0; p < store->numParams(); ++p)
      if (store->def(p).name == name)
        return std::vector<float>(store->data(p),
                                  store->data(p) + store->size(p));
    return {};
  }

  /// Forward, then backward with output 0's gradient set to `seed` (plain;
  /// empty: all ones); returns the gradient of input i for each i in
  /// `wanted`.
  std::map<int, std::vector<float>> gradients(const std::vector<int>& wanted,
                                              std::vector<float> seed = {}) {
    plan->forward();
    if (seed.empty())
      seed.assign(numel(plan->dims(program->findValue("out0"))), 1.f);
    plan->seedGrad("out0", seed.data());
    plan->backward();
    std::map<int, std::vector<float>> out;
    for (int i : wanted) out[i] = plan->readGrad("in" + std::to_string(i));
    return out;
  }

  /// The layout the op chose for output 0.
  dnnl::memory::desc outputDesc() const {
    return plan->desc(program->findValue("out0"));
  }

 private:
  OpRegistry registry_;
};

}  // namespace tapeflow::testing
