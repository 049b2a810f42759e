// frontends/cpp/api_internal.h - what the implementation of the public API
// (<tapeflow/tapeflow.h>) and in-tree tests reach behind its pimpls: the
// builder's Graph, the model's Program and ParamStore. Not installed.
#pragma once

#include <map>
#include <memory>
#include <utility>

#include "core/graph.h"
#include "core/param_store.h"
#include "core/plan.h"
#include "core/program.h"
#include "tapeflow/tapeflow.h"
#include "train/optimizer.h"

namespace tapeflow {

struct GraphBuilder::Impl {
  Graph graph;
};

struct Model::Impl {
  std::shared_ptr<const Program> program;
  std::unique_ptr<ParamStore> store;
  std::map<std::pair<int64_t, bool>, std::unique_ptr<Plan>> plans;
  std::map<std::string, Tensor> inputs;
  Plan* last = nullptr;
  bool training = false;
  bool backwardRan = false;

  int param(const std::string& name) const;
};

struct optim::Optimizer::Impl {
  std::unique_ptr<::tapeflow::Optimizer> update;
};

/// The builder's graph (not yet validated): for in-tree code that needs the
/// IR, e.g. Program::build(graphOf(b), ops::registry()).
struct BuilderAccess {
  static const Graph& graph(const GraphBuilder& b) { return b.impl_->graph; }
};
inline const Graph& graphOf(const GraphBuilder& b) { return BuilderAccess::graph(b); }

struct ModelAccess {
  static Model::Impl& impl(const Model& m) { return *m.impl_; }
  static ::tapeflow::Optimizer& update(const optim::Optimizer& o) {
    return *o.impl_->update;
  }
};

}  // namespace tapeflow
