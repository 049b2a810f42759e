// tools/stop_signal.cpp - the signal thread behind installStopHandler.
//
// SIGINT, SIGTERM and SIGHUP are blocked in every thread (main() blocks them
// before any thread exists, and threads inherit the mask) and taken by one
// thread of ours that waits for them with sigwait: a signal never
// interrupts oneDNN, OpenMP, Open MPI or the batch loader. (An asynchronous
// handler did, and a training rank of mpirun corrupted its heap in about
// one stop in eight; see the README's MPI section.)
#include "tools/stop_signal.h"

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <mutex>

#include "core/atomic_file.h"

namespace tapeflow::cli {
namespace {

struct StopState {
  std::mutex mu;                // guards the messages
  std::string first, second;    // printed on the first and second signal
  bool forceOnSecond = true;
  std::atomic<bool> installed{false};
  int signals = 0;              // stop signals seen (signal thread only)
  sigset_t ignored;             // ignored when the process started
  CancellationToken token;
};

StopState& state() {
  static StopState s;
  return s;
}

sigset_t stopSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set, s);
  return set;
}

void say(const std::string& m) {
  if (::write(STDERR_FILENO, m.data(), m.size()) < 0) {
    // nowhere to report it: stderr is gone
  }
}

// Before installStopHandler: the default action (the process ends by the
// signal, as the shell expects), taken from this thread.
[[noreturn]] void endBySignal(int sig) {
  std::signal(sig, SIG_DFL);
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, sig);
  pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
  ::raise(sig);
  ::_exit(128 + sig);  // not reached
}

void onSignal(int sig) {
  StopState& s = state();
  if (sigismember(&s.ignored, sig)) return;  // nohup, a background job
  if (!s.installed.load()) endBySignal(sig);
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.signals++ == 0) {
    s.token.request();
    say(s.first);
  } else if (s.forceOnSecond) {
    say(s.second);
    exitAfterAtomicWrites(kForcedStopExitCode);
  }
}

void* signalThread(void*) {
  const sigset_t set = stopSignals();
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) == 0) onSignal(sig);
  }
  return nullptr;
}

}  // namespace

void startSignalThread() {
  sigset_t set = stopSignals();
  // A signal ignored when the process started (nohup, a background job of
  // a non-interactive shell) stays ignored. (Linux keeps a blocked signal
  // pending even when its action is to ignore it, so sigwait returns it.)
  sigemptyset(&state().ignored);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction old {};
    if (sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN)
      sigaddset(&state().ignored, sig);
  }
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  pthread_t t;
  if (pthread_create(&t, nullptr, signalThread, nullptr) == 0) {
    pthread_detach(t);
  } else {
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);  // default actions, as before
  }
  std::signal(SIGPIPE, SIG_IGN);  // a write to a closed pipe fails with EPIPE
}

const CancellationToken& installStopHandler(const std::string& runDir, bool forceOnSecond) {
  StopState& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  s.forceOnSecond = forceOnSecond;
  s.first = forceOnSecond ? "\ntapeflow: stopping after this step and writing a checkpoint "
                            "(a second signal stops at once)\n"
                          : "\ntapeflow: every rank stops after this step and rank 0 "
                            "writes a checkpoint\n";
  s.second = "\ntapeflow: stopped at once (exit 5); the step in progress is lost; "
             "resume with --resume " + runDir + "\n";
  s.installed.store(true);
  return s.token;
}

}  // namespace tapeflow::cli
