// tests/support/binary_harness.h - multi-node graphs for the binary and
// dims-only op tests: a test-only op that hands its consumer an nChw8c
// tensor (as a conv does), a runner that returns outputs, their layouts and
// parameter gradients, and the checks every binary op test shares.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/param_store.h"
#include "core/plan.h"
#include "core/program.h"
#include "ops/op_kit.h"
#include "ops/registry.h"
#include "tests/support/op_harness.h"
#include "tests/support/reference_binary.h"

namespace tapeflow::testing {

/// Test-only op "ToBlocked": dst = src, in nChw8c (rank 4 inputs only).
inline const OpDef& toBlockedOp() {
  struct State {
    ops::Relayout toBlocked;
    size_t bytes = 0;
  };
  static const OpDef def = [] {
    OpDef d("ToBlocked");
    d.input("src").output("dst").doc("test only: src in nChw8c");
    d.shapes([](ShapeContext& ctx) { ctx.setOutput(0, ctx.inputDims(0)); });
    d.prepare([](PrepareContext& ctx) {
      dnnl::memory::desc md(ops::toDnnl(ctx.inputDims(0)), ops::dt::f32,
                            ops::tag::nChw8c);
      auto& st = ctx.makeState<State>();
      st.toBlocked = ops::Relayout(ctx, ctx.inputDesc(0), md);
      st.bytes = md.get_size();
      ctx.setOutputDesc(0, md);
      if (ctx.needsGrad(0)) ctx.setGradInputDesc(0, md);
    });
    d.forward([](ExecContext& ctx) {
      auto& st = ctx.state<State>();
      dnnl::memory m = st.toBlocked(ctx.stream(), ctx.input(0));
      std::memcpy(ctx.output(0).get_data_handle(), m.get_data_handle(), st.bytes);
    });
    d.backward([](GradContext& ctx) {
      auto& st = ctx.state<State>();
      if (ctx.needsGrad(0))
        std::memcpy(ctx.gradInput(0).get_data_handle(),
                    ctx.gradOutput(0).get_data_handle(), st.bytes);
    });
    return d;
  }();
  return def;
}

/// Every registered op plus ToBlocked.
inline const OpRegistry& testRegistry() {
  static const OpRegistry reg = [] {
    OpRegistry r;
    for (const auto& [name, def] : ops::registry().all()) r.add(*def);
    r.add(toBlockedOp());
    return r;
  }();
  return reg;
}

inline ParamDef paramOf(const std::string& name, const HostTensor& t) {
  ParamDef p;
  p.name = name;
  p.dims = t.dims;
  p.data = t.data;
  return p;
}

inline Node nodeOf(const std::string& name, const std::string& op,
                   std::vector<std::string> inputs, const std::string& output,
                   std::map<std::string, AttrValue> attrs = {}) {
  Node n;
  n.name = name;
  n.op = op;
  n.inputs = std::move(inputs);
  n.outputs = {output};
  n.attrs = std::move(attrs);
  return n;
}

struct GraphRun {
  std::map<std::string, std::vector<float>> values;  ///< outputs, plain
  std::map<std::string, Dims> dims;                  ///< of the outputs
  std::map<std::string, dnnl::memory::desc> descs;   ///< output layouts
  std::map<std::string, std::vector<float>> seeds;   ///< r per output
  std::map<std::string, std::vector<float>> grads;   ///< per param, plain
};

/// Runs `g` (training, batch 1) forward, then backward for the objective
/// sum over outputs of r * out with fixed-seed random r.
inline GraphRun runGraph(Graph g, uint64_t seed = 11) {
  g.file = "<test>";
  auto program = Program::build(g, testRegistry());
  ParamStore store(program);
  store.initialize(0);
  PlanOptions opts;
  opts.mode = Mode::Training;
  opts.gradTargets = g.outputs;
  Plan plan(program, store, opts);
  plan.forward();
  GraphRun run;
  for (size_t k = 0; k < g.outputs.size(); ++k) {
    const std::string& name = g.outputs[k];
    int v = program->findValue(name);
    run.values[name] = plan.readValue(v);
    run.dims[name] = plan.dims(v);
    run.descs[name] = plan.desc(v);
    run.seeds[name] = randomTensor(plan.dims(v), seed + k).data;
    plan.seedGrad(name, run.seeds[name].data());
  }
  plan.backward();
  for (const ParamDef& p : g.params) run.grads[p.name] = plan.readGrad(p.name);
  return run;
}

/// Values within a relative tolerance (absolute below 1).
inline void expectClose(const std::vector<float>& got,
                        const std::vector<float>& want, double tol,
                        const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < want.size(); ++i)
    ASSERT_LE(std::fabs(double(got[i]) - want[i]),
              tol * std::max(1.0, std::fabs(double(want[i]))))
        << what << " at flat index " << i << ": got " << got[i]
        << ", want " << want[i];
}

/// A binary op's math for the reference checks.
struct BinaryMath {
  std::string op;
  std::function<float(float, float)> f;
  std::function<float(float, float)> dfda;  ///< partial of f in a
  std::function<float(float, float)> dfdb;  ///< partial of f in b
  float low = -1.f, high = 1.f;             ///< input range
};

/// Input shape pairs covering every broadcast form: same dims, per-channel
/// either way, lower rank either way, scalar-like [1], both broadcast.
inline std::vector<std::pair<Dims, Dims>> broadcastCases() {
  return {{{2, 13}, {2, 13}},          {{2, 3, 4, 4}, {1, 3, 1, 1}},
          {{1, 3, 1, 1}, {2, 3, 4, 4}}, {{3, 13}, {13}},
          {{13}, {3, 13}},             {{2, 3, 4}, {4}},
          {{4}, {2, 3, 4}},            {{2, 3, 4}, {1}},
          {{1}, {2, 3, 4}},            {{4, 1}, {1, 5}},
          {{3, 1, 5}, {2, 1, 4, 5}},   {{2, 1, 3}, {3}}};
}

/// Checks the op's output and both gradients (through the engine's
/// unbroadcast) against the reference in graph `a op b -> c`, where `a`
/// and `b` may first go through ToBlocked.
inline void checkBinaryGraph(const BinaryMath& m, const HostTensor& a,
                             const HostTensor& b, bool blockA, bool blockB,
                             GraphRun* out = nullptr) {
  Graph g;
  g.name = "binary";
  g.params = {paramOf("a", a), paramOf("b", b)};
  std::string ia = "a", ib = "b";
  if (blockA) {
    g.nodes.push_back(nodeOf("block_a", "ToBlocked", {"a"}, "a8"));
    ia = "a8";
  }
  if (blockB) {
    g.nodes.push_back(nodeOf("block_b", "ToBlocked", {"b"}, "b8"));
    ib = "b8";
  }
  g.nodes.push_back(nodeOf("op", m.op, {ia, ib}, "c"));
  g.outputs = {"c"};
  GraphRun run = runGraph(g);
  std::string what = m.op + " " + dimsStr(a.dims) + (blockA ? " nChw8c" : "") +
                     " with " + dimsStr(b.dims) + (blockB ? " nChw8c" : "");
  Dims cDims = reference::broadcastShape(a.dims, b.dims);
  EXPECT_EQ(run.dims["c"], cDims) << what;
  expectClose(run.values["c"],
              reference::broadcastBinary(a.data, a.dims, b.data, b.dims, m.f),
              1e-6, what + ": forward");
  const std::vector<float>& r = run.seeds["c"];
  auto grad = [&](const std::function<float(float, float)>& d) {
    std::vector<float> local =
        reference::broadcastBinary(a.data, a.dims, b.data, b.dims, d);
    for (size_t i = 0; i < local.size(); ++i) local[i] *= r[i];
    return local;
  };
  expectClose(run.grads["a"],
              reference::sumTo(grad(m.dfda), cDims, a.dims), 1e-5,
              what + ": gradient of a");
  expectClose(run.grads["b"],
              reference::sumTo(grad(m.dfdb), cDims, b.dims), 1e-5,
              what + ": gradient of b");
  if (out) *out = run;
}

/// Forward (inference, one-op harness) over broadcastCases().
inline void checkBinaryForward(const BinaryMath& m) {
  uint64_t seed = 1;
  for (const auto& [ad, bd] : broadcastCases()) {
    HostTensor a = randomTensor(ad, seed++, m.low, m.high);
    HostTensor b = randomTensor(bd, seed++, m.low, m.high);
    std::vector<HostTensor> y = runOp(m.op, {}, {a, b});
    ASSERT_EQ(y.size(), 1u);
    std::string what = m.op + " " + dimsStr(ad) + " with " + dimsStr(bd);
    EXPECT_EQ(y[0].dims, reference::broadcastShape(ad, bd)) << what;
    expectClose(y[0].data,
                reference::broadcastBinary(a.data, a.dims, b.data, b.dims, m.f),
                1e-6, what);
  }
}

/// Forward and gradients (training) over broadcastCases().
inline void checkBinaryBroadcasting(const BinaryMath& m) {
  uint64_t seed = 1;
  for (const auto& [ad, bd] : broadcastCases()) {
    HostTensor a = randomTensor(ad, seed++, m.low, m.high);
    HostTensor b = randomTensor(bd, seed++, m.low, m.high);
    checkBinaryGraph(m, a, b, false, false);
  }
}

/// a (and b) arriving in nChw8c, as from a conv: the op must read the
/// blocked layout, keep it for the output when both inputs are full-size
/// and oneDNN has a fast kernel for it, and fall back to plain otherwise.
inline void checkBinaryBlocked(const BinaryMath& m) {
  uint64_t seed = 100;
  for (int64_t c : {3, 8}) {
    Dims full{2, c, 4, 4}, perChannel{1, c, 1, 1};
    HostTensor a = randomTensor(full, seed++, m.low, m.high);
    HostTensor b = randomTensor(full, seed++, m.low, m.high);
    HostTensor k = randomTensor(perChannel, seed++, m.low, m.high);
    GraphRun run;
    checkBinaryGraph(m, a, b, true, true, &run);
    // NOTE: oneDNN 2.6.3 divides a channel-padded nChw8c only with ref:any,
    // so Div with 3 channels computes in plain.
    bool keepsBlocked = m.op != "Div" || c % 8 == 0;
    EXPECT_EQ(!isPlain(run.descs["c"]), keepsBlocked) << m.op << " C=" << c;
    checkBinaryGraph(m, a, b, true, false);
    checkBinaryGraph(m, a, b, false, true);
    checkBinaryGraph(m, a, k, true, false, &run);
    EXPECT_TRUE(isPlain(run.descs["c"])) << "per-channel " << m.op;
    checkBinaryGraph(m, k, a, false, true);
  }
}

/// The same value as both inputs: the engine adds the two contributions.
inline void checkSameInput(const BinaryMath& m) {
  HostTensor x = randomTensor({3, 5}, 77, m.low, m.high);
  Graph g;
  g.name = "same_input";
  g.params = {paramOf("x", x)};
  g.nodes = {nodeOf("op", m.op, {"x", "x"}, "c")};
  g.outputs = {"c"};
  GraphRun run = runGraph(g);
  const std::vector<float>& r = run.seeds["c"];
  std::vector<float> want(x.data.size()), grad(x.data.size());
  for (size_t i = 0; i < x.data.size(); ++i) {
    float v = x.data[i];
    want[i] = m.f(v, v);
    grad[i] = r[i] * (m.dfda(v, v) + m.dfdb(v, v));
  }
  expectClose(run.values["c"], want, 1e-6, m.op + "(x, x) forward");
  expectClose(run.grads["x"], grad, 1e-5, m.op + "(x, x) gradient");
}

/// Expects `fn` to throw E with `substring` in its message.
template <class E>
void expectThrowWith(const std::function<void()>& fn,
                     const std::string& substring) {
  try {
    fn();
    ADD_FAILURE() << "expected an exception containing '" << substring << "'";
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(substring), std::string::npos)
        << e.what();
  }
}

}  // namespace tapeflow::testing
