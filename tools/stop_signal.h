// tools/stop_signal.h - signals during `tapeflow train`.
//
// SIGINT (Ctrl-C), SIGTERM and SIGHUP (a dropped SSH session) request the
// command's cancellation token: the trainer finishes the current step,
// writes a checkpoint and the command exits with 130. A second one of them
// stops at once, right after an atomic write in progress (a checkpoint is
// never left half-written), with exit code 5 (kForcedStopExitCode): the
// step in progress is lost and the latest checkpoint is the resume point.
// SIGPIPE is ignored: a closed output pipe (`tapeflow train ... | head -1`)
// only stops the printing, training goes on. The signals are taken by a
// thread of ours (startSignalThread), never by an asynchronous handler.
#pragma once

#include <string>

#include "train/cancellation.h"

namespace tapeflow::cli {

/// The exit code after a second stop signal (see the README's table of
/// exit codes; the others are tapeflow::ExitCode's).
inline constexpr int kForcedStopExitCode = 5;

/// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread and every thread
/// created after it, and starts the thread that waits for them: called by
/// main() before anything else, so that no thread (OpenMP, Open MPI, the
/// batch loader) is ever interrupted by them. Until installStopHandler,
/// such a signal ends the process as it would by default. Ignores SIGPIPE.
void startSignalThread();

/// Installs the handlers described above and returns the token they
/// request. `runDir` is named in the messages the handler prints on stderr.
/// With `forceOnSecond` false (a rank of several under mpirun, which
/// forwards the user's signal and then SIGTERMs the ranks still running
/// when the first one exits), a second signal is the same stop request: the
/// ranks stop together after the same step.
const CancellationToken& installStopHandler(const std::string& runDir,
                                            bool forceOnSecond = true);

}  // namespace tapeflow::cli
