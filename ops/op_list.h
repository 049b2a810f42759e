// ops/op_list.h - the lines of ops/op_list.def as data, and the check that
// each line's first argument is the name of the OpDef it registers
// (ops::registry() runs it before filling the table and throws
// std::logic_error naming the line when it fails).
#pragma once

#include "core/op_def.h"

#include <string>
#include <vector>

namespace tapeflow::ops {

/// One line of ops/op_list.def: TAPEFLOW_OP(<listed>, <accessor>).
struct OpListEntry {
  const char* listed;
  const OpDef& (*accessor)();
};

/// The lines of ops/op_list.def, in file order.
const std::vector<OpListEntry>& opList();

/// "" when every entry's listed name is the name() of the OpDef its
/// accessor returns and no name is listed twice; otherwise a message naming
/// the first offending entry.
std::string checkOpList(const std::vector<OpListEntry>& entries);

}  // namespace tapeflow::ops
