// tests/fuzz/fuzz_solver.cpp - solver files (protobuf text), and the
// documented round trip: parseSolverText(solverToText(c)) gives back c.
#include "train/solver.h"
#include "core/error.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tapeflow;
  SolverConfig c;
  try {
    c = parseSolverText(fuzz::asString(data, size), "fuzz.solver.pbtxt");
  } catch (const Error&) {
    return 0;
  }
  std::string text = solverToText(c);
  if (solverToText(parseSolverText(text, "again.solver.pbtxt")) != text)
    std::abort();
  return 0;
}
