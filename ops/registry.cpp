// ops/registry.cpp - fills the registry from ops/op_list.def (included twice:
// once to declare the accessors, once to add them).
#include "ops/registry.h"

// Builds of a subset of the ops may point this at another list.
#ifndef TAPEFLOW_OP_LIST
#define TAPEFLOW_OP_LIST "ops/op_list.def"
#endif

namespace tapeflow::ops {

#define TAPEFLOW_OP(name, accessor) const OpDef& accessor();
#include TAPEFLOW_OP_LIST
#undef TAPEFLOW_OP

const OpRegistry& registry() {
  static const OpRegistry table = [] {
    OpRegistry r;
#define TAPEFLOW_OP(name, accessor) r.add(accessor());
#include TAPEFLOW_OP_LIST
#undef TAPEFLOW_OP
    return r;
  }();
  return table;
}

}  // namespace tapeflow::ops
