// ops/registry.h - the table of every op tapeflow knows.
#pragma once

#include "core/op_def.h"

namespace tapeflow::ops {

/// Every op listed in ops/op_list.def (built on first use).
const OpRegistry& registry();

}  // namespace tapeflow::ops
