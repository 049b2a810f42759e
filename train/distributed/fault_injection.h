// train/distributed/fault_injection.h - a test hook for the failure paths
// of data-parallel training, which no healthy run reaches: the environment
// variable TAPEFLOW_INJECT_FAULT="RANK:STEP:KIND" makes rank RANK, at the
// start of global step STEP, do KIND:
//   error  throw a DataError, as bad input found by that rank would
//   exit   end the process at once (exit status 1), as a crashed rank
//   hang   stop responding (sleep), as a stuck rank
//   slow   sleep 50 ms before this and every later step, as a straggler
// Unset (always, outside tests) it costs one integer compare per step.
#pragma once

#include <cstdint>

namespace tapeflow {

/// Acts on TAPEFLOW_INJECT_FAULT when it names this rank and step.
void injectFault(int rank, int64_t step);

}  // namespace tapeflow
