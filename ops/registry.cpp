// ops/registry.cpp - fills the registry from ops/op_list.def (included twice:
// once to declare the accessors, once to list them), after checking it
// (ops/op_list.h).
#include "ops/registry.h"

#include "ops/op_list.h"

#include <set>
#include <stdexcept>

// Builds of a subset of the ops may point this at another list.
#ifndef TAPEFLOW_OP_LIST
#define TAPEFLOW_OP_LIST "ops/op_list.def"
#endif

namespace tapeflow::ops {

#define TAPEFLOW_OP(name, accessor) const OpDef& accessor();
#include TAPEFLOW_OP_LIST
#undef TAPEFLOW_OP

const std::vector<OpListEntry>& opList() {
  static const std::vector<OpListEntry> list = {
#define TAPEFLOW_OP(name, accessor) {#name, &accessor},
#include TAPEFLOW_OP_LIST
#undef TAPEFLOW_OP
  };
  return list;
}

std::string checkOpList(const std::vector<OpListEntry>& entries) {
  std::set<std::string> seen;
  for (const OpListEntry& e : entries) {
    const std::string& defined = e.accessor().name();
    if (defined != e.listed)
      return "op list entry '" + std::string(e.listed) +
             "' names an OpDef called '" + defined +
             "'; the first argument of TAPEFLOW_OP must be the OpDef's name";
    if (!seen.insert(defined).second)
      return "op '" + defined + "' is listed twice";
  }
  return "";
}

const OpRegistry& registry() {
  static const OpRegistry table = [] {
    std::string err = checkOpList(opList());
    if (!err.empty()) throw std::logic_error(TAPEFLOW_OP_LIST ": " + err);
    OpRegistry r;
    for (const OpListEntry& e : opList()) r.add(e.accessor());
    return r;
  }();
  return table;
}

}  // namespace tapeflow::ops
