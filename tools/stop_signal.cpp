// tools/stop_signal.cpp - the signal handler behind installStopHandler.
#include "tools/stop_signal.h"

#include <csignal>

namespace tapeflow::cli {
namespace {

CancellationToken gStop;

void onSignal(int) { gStop.request(); }

}  // namespace

const CancellationToken& installStopHandler() {
  struct sigaction sa {};
  sa.sa_handler = onSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;  // a second signal ends the process at once
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  return gStop;
}

}  // namespace tapeflow::cli
