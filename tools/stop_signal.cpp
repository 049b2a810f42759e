// tools/stop_signal.cpp - the signal handler behind installStopHandler.
// Everything the handler does is async-signal-safe: atomics, write(2) of
// messages formatted before it was installed, and _exit (through
// exitAfterAtomicWrites).
#include "tools/stop_signal.h"

#include <unistd.h>

#include <atomic>
#include <csignal>

#include "core/atomic_file.h"

namespace tapeflow::cli {
namespace {

CancellationToken gStop;
std::atomic<int> gSignals{0};
std::string gFirstMessage, gSecondMessage;  // formatted at installation
bool gForceOnSecond = true;

void say(const std::string& m) {
  if (::write(STDERR_FILENO, m.data(), m.size()) < 0) {
    // nowhere to report it: stderr is gone
  }
}

void onSignal(int) {
  if (gSignals.fetch_add(1) == 0) {
    gStop.request();
    say(gFirstMessage);
  } else if (gForceOnSecond) {
    say(gSecondMessage);
    exitAfterAtomicWrites(kForcedStopExitCode);
  }
}

}  // namespace

const CancellationToken& installStopHandler(const std::string& runDir, bool forceOnSecond) {
  gForceOnSecond = forceOnSecond;
  gFirstMessage = forceOnSecond ? "\ntapeflow: stopping after this step and writing a checkpoint "
                                  "(a second signal stops at once)\n"
                                : "\ntapeflow: every rank stops after this step and rank 0 "
                                  "writes a checkpoint\n";
  gSecondMessage = "\ntapeflow: stopped at once (exit 5); the step in progress is lost; "
                   "resume with --resume " + runDir + "\n";
  struct sigaction sa {};
  sa.sa_handler = onSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaction(s, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // a write to a closed pipe fails with EPIPE
  return gStop;
}

}  // namespace tapeflow::cli
