// tools/stop_signal.h - Ctrl-C (SIGINT) and SIGTERM for `tapeflow train`:
// the handler requests the command's cancellation token; the trainer then
// finishes the current step, writes a checkpoint and returns.
#pragma once

#include "train/cancellation.h"

namespace tapeflow::cli {

/// Installs the SIGINT/SIGTERM handler (a second signal kills the process;
/// checkpoints are atomic, so it never leaves a partial one) and returns
/// the token it requests.
const CancellationToken& installStopHandler();

}  // namespace tapeflow::cli
