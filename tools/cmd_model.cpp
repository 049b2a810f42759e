// tools/cmd_model.cpp - commands that inspect a model: summary, graph,
// check, gradcheck, ops.
#include <cstdio>
#include <fstream>

#include "core/dnnl_context.h"
#include "core/initializers.h"
#include "core/path_guard.h"
#include "tools/analysis/model_report.h"
#include "ops/registry.h"
#include "tools/cli.h"
#include "tools/memory_flags.h"

namespace tapeflow::cli {

int cmdSummary(const Args& a) {
  requirePositional(a, 1, "tapeflow summary FILE");
  auto p = loadProgram(a.positional[0]);
  std::fputs(summaryTable(*p).c_str(), stdout);
  std::fputs(memoryEstimateLines(*p, a.getInt("batch", 64)).c_str(), stdout);
  return 0;
}

int cmdGraph(const Args& a) {
  requirePositional(a, 1, "tapeflow graph FILE --dot [-o OUT]");
  auto p = loadProgram(a.positional[0]);
  std::string dot = graphDot(*p);
  if (!a.has("output")) {
    std::fputs(dot.c_str(), stdout);
    return 0;
  }
  checkOutputsAgainstInputs({{a.get("output"), "-o", false}},
                            {{a.positional[0], "model", false}});
  std::ofstream out(a.get("output"));
  out << dot;
  if (!out.flush())
    throw IoError({a.get("output"), 0, 0}, "", "", "cannot write the DOT file");
  return 0;
}

int cmdCheck(const Args& a) {
  requirePositional(a, 1, "tapeflow check FILE");
  auto p = loadProgram(a.positional[0]);
  std::printf("%s: ok: %d nodes, %zu values\n", a.positional[0].c_str(),
              p->numNodes(), p->values().size());
  for (const ValueInfo& v : p->values())
    std::printf("  %-24s %s %s\n", v.name.c_str(), dtypeName(v.dtype),
                dimsStr(v.dims, true).c_str());
  std::fputs(memoryEstimateLines(*p, a.getInt("batch", 64)).c_str(), stdout);
  return 0;
}

int cmdGradcheck(const Args& a) {
  requirePositional(a, 1,
                    "tapeflow gradcheck FILE [--batch N] [--directions K] [--seed S]");
  auto p = loadProgram(a.positional[0]);
  ModelGradCheckOptions o;
  o.batch = a.getInt("batch", o.batch);
  o.directions = int(a.getInt("directions", o.directions));
  o.seed = uint64_t(a.getInt("seed", int64_t(o.seed)));
  o.step = float(a.getFloat("step", o.step));
  o.tolerance = a.getFloat("tolerance", o.tolerance);
  if (o.batch < 1 || o.directions < 1 || o.step <= 0)
    throw UsageError({}, "", "", "--batch, --directions and --step must be positive");
  setNumThreads(1);  // reproducible sums
  auto results = checkModelGradients(p, o);
  std::printf("%-20s %8s %10s %7s %12s %12s %12s\n", "param", "checked", "unresolved",
              "kinked", "|grad|", "worst abs", "worst rel");
  bool ok = true;
  for (const auto& r : results) {
    bool pass = r.worstRel <= o.tolerance;
    ok &= pass;
    std::printf("%-20s %8d %10d %7d %12.3e %12.3e %12.3e%s\n", r.param.c_str(), r.checked,
                r.unresolved, r.kinked, r.gradNorm, r.worstAbs, r.worstRel,
                pass ? "" : "  FAIL");
  }
  std::printf("%s: %s (tolerance %.1e on the relative error, step %.1e, batch %lld)\n",
              a.positional[0].c_str(), ok ? "gradients match" : "gradients DIFFER",
              o.tolerance, double(o.step), static_cast<long long>(o.batch));
  return ok ? 0 : 4;
}

int cmdOps(const Args&) {
  for (const auto& [name, def] : ops::registry().all()) {
    std::printf("%s: %s\n  inputs:", name.c_str(), def->docText().c_str());
    for (const PortDef& port : def->inputs())
      std::printf(" %s%s%s", port.name.c_str(), port.optional ? "?" : "",
                  port.dtype == DType::I32 ? ":i32" : "");
    if (def->isVariadic()) std::printf("...");
    std::printf("\n");
    if (def->outputs().size() > 1 || def->hasVariadicOutputs()) {
      std::printf("  outputs:");
      for (const PortDef& port : def->outputs()) std::printf(" %s", port.name.c_str());
      std::printf("%s\n", def->hasVariadicOutputs() ? "..." : "");
    }
    for (const AttrDef& at : def->attrs())
      std::printf("  attr %s (%s)%s%s\n", at.name.c_str(), attrKindName(at.kind),
                  at.required ? " required" : (" = " + at.defaultValue.str()).c_str(),
                  at.doc.empty() ? "" : ("  " + at.doc).c_str());
  }
  std::printf("initializers (param init { kind: ... }):\n");
  for (const InitializerInfo& i : initializers())
    std::printf("  %s%s: %s\n", i.name,
                i.alias ? (" (or " + std::string(i.alias) + ")").c_str() : "",
                i.doc);
  return 0;
}

}  // namespace tapeflow::cli
