// tests/fuzz/fuzz_graph_binary.cpp - binary graphs (.pb): the loader, then
// validation and shape inference.
#include "core/program.h"
#include "frontends/pbtxt/pbtxt_loader.h"
#include "ops/registry.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tapeflow;
  try {
    Graph g = parseGraphBinary(fuzz::asString(data, size), "fuzz.pb");
    auto p = Program::build(std::move(g), ops::registry());
    for (int n = 0; n < p->numNodes(); ++n) p->flopsPerSample(n);
  } catch (const Error&) {
  }
  return 0;
}
