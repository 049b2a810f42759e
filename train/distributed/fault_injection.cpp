// train/distributed/fault_injection.cpp - TAPEFLOW_INJECT_FAULT (tests).
#include "train/distributed/fault_injection.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/error.h"

namespace tapeflow {
namespace {

struct Fault {
  int rank = -1;
  int64_t step = -1;
  char kind[16] = {};
};

Fault parseFault() {
  Fault f;
  const char* v = std::getenv("TAPEFLOW_INJECT_FAULT");
  long long step = -1;
  if (v && std::sscanf(v, "%d:%lld:%15s", &f.rank, &step, f.kind) == 3) f.step = step;
  return f;
}

}  // namespace

void injectFault(int rank, int64_t step) {
  static const Fault f = parseFault();
  if (f.rank != rank || f.step < 0) return;
  if (std::strcmp(f.kind, "slow") == 0) {
    if (step >= f.step) ::usleep(50 * 1000);
    return;
  }
  if (f.step != step) return;
  if (std::strcmp(f.kind, "exit") == 0) std::_Exit(1);
  if (std::strcmp(f.kind, "hang") == 0)
    for (;;) ::pause();
  throw DataError({}, "", "",
                  "injected fault at step " + std::to_string(step) +
                      " (TAPEFLOW_INJECT_FAULT): a sample this rank read is invalid");
}

}  // namespace tapeflow
