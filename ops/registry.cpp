// ops/registry.cpp - fills the registry from ops/op_list.def (included twice:
// once to declare the accessors, once to add them).
#include "ops/registry.h"

namespace tapeflow::ops {

#define TAPEFLOW_OP(name, accessor) const OpDef& accessor();
#include "ops/op_list.def"
#undef TAPEFLOW_OP

const OpRegistry& registry() {
  static const OpRegistry table = [] {
    OpRegistry r;
#define TAPEFLOW_OP(name, accessor) r.add(accessor());
#include "ops/op_list.def"
#undef TAPEFLOW_OP
    return r;
  }();
  return table;
}

}  // namespace tapeflow::ops
