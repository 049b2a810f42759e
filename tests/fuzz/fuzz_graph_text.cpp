// tests/fuzz/fuzz_graph_text.cpp - text graphs (.pbtxt): the loader, then
// validation and shape inference, then the queries `summary` makes and the
// text round trip (graphToText output must load again).
#include "core/program.h"
#include "frontends/pbtxt/pbtxt_loader.h"
#include "ops/registry.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tapeflow;
  Graph g;
  try {
    g = parseGraphText(fuzz::asString(data, size), "fuzz.pbtxt");
  } catch (const Error&) {
    return 0;
  }
  // Writing out a graph that loaded must give text that loads.
  Graph again = parseGraphText(graphToText(g), "again.pbtxt");
  if (again.nodes.size() != g.nodes.size()) std::abort();
  try {
    auto p = Program::build(std::move(g), ops::registry());
    for (int n = 0; n < p->numNodes(); ++n) p->flopsPerSample(n);
    p->dimsAt(2);
  } catch (const Error&) {
  }
  return 0;
}
