// tools/analysis/model_report.cpp - summary table, DOT (through dot.h) and
// model gradcheck.
#include "tools/analysis/model_report.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iomanip>
#include <numeric>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "core/param_store.h"
#include "core/plan.h"
#include "tools/analysis/dot.h"

namespace tapeflow {

std::string withCommas(int64_t n) {
  std::string s = std::to_string(n < 0 ? -n : n);
  for (int i = int(s.size()) - 3; i > 0; i -= 3) s.insert(size_t(i), ",");
  return (n < 0 ? "-" : "") + s;
}

std::vector<bool> bufferParams(const Program& p) {
  std::vector<bool> out(p.graph().params.size(), false);
  for (int n = 0; n < p.numNodes(); ++n) {
    const auto& in = p.nodeInputs(n);
    for (int i : p.op(n).stateInputsOf(p.attrs(n), int(in.size()))) {
      const ValueInfo& info = p.value(in[size_t(i)]);
      if (info.kind == ValueKind::Param) out[size_t(info.owner)] = true;
    }
  }
  return out;
}

ParamCounts countParams(const Program& p) {
  ParamCounts c;
  std::vector<bool> buffer = bufferParams(p);
  for (size_t k = 0; k < p.graph().params.size(); ++k) {
    const ParamDef& d = p.graph().params[k];
    int64_t n = numel(d.dims);
    if (buffer[k]) {
      c.buffers += n;
      continue;
    }
    c.total += n;
    if (d.trainable) c.trainable += n;
  }
  return c;
}

std::vector<int64_t> paramsPerNode(const Program& p) {
  std::vector<int64_t> out(p.numNodes(), 0);
  std::vector<bool> counted(p.values().size(), false);
  std::vector<bool> buffer = bufferParams(p);
  for (int n : p.order())
    for (int v : p.nodeInputs(n)) {
      const ValueInfo& info = p.value(v);
      if (info.kind != ValueKind::Param || counted[v] ||
          buffer[size_t(info.owner)])
        continue;
      counted[v] = true;
      out[n] += numel(p.graph().params[info.owner].dims);
    }
  return out;
}

std::vector<std::vector<std::string>> sharedParamsPerNode(const Program& p) {
  std::vector<std::vector<std::string>> out(p.numNodes());
  std::vector<int> firstUser(p.values().size(), -1);
  for (int n : p.order())
    for (int v : p.nodeInputs(n)) {
      if (p.value(v).kind != ValueKind::Param) continue;
      if (firstUser[v] < 0) {
        firstUser[v] = n;
        continue;
      }
      const std::string& first = p.graph().nodes[firstUser[v]].name;
      if (firstUser[v] != n &&
          std::find(out[n].begin(), out[n].end(), first) == out[n].end())
        out[n].push_back(first);
    }
  return out;
}

std::string summaryTable(const Program& p) {
  const Graph& g = p.graph();
  std::vector<int64_t> params = paramsPerNode(p);
  std::vector<std::vector<std::string>> shared = sharedParamsPerNode(p);
  std::ostringstream os;
  const int w1 = 30, w2 = 22, w3 = 12, w4 = 14;
  std::string rule(w1 + w2 + w3 + w4, '_');
  std::string dbl(w1 + w2 + w3 + w4, '=');
  os << "Model: \"" << g.name << "\"" << (g.file.empty() ? "" : "  (" + g.file + ")")
     << "\n"
     << rule << "\n"
     << std::left << std::setw(w1) << "Node (op)" << std::setw(w2) << "Output shape"
     << std::right << std::setw(w3) << "Param #" << std::setw(w4) << "FLOPs/sample"
     << "\n"
     << dbl << "\n";
  int64_t flops = 0;
  for (int n : p.order()) {
    const Node& node = g.nodes[n];
    std::string shape;
    for (int v : p.nodeOutputs(n)) {
      const ValueInfo& info = p.value(v);
      shape += (shape.empty() ? "" : " ") + dimsStr(info.dims, true);
      if (info.dtype == DType::I32) shape += " i32";
    }
    int64_t f = p.flopsPerSample(n);
    flops += f;
    std::string label = node.name + " (" + node.op + ")";
    if (label.size() >= size_t(w1)) label = label.substr(0, w1 - 4) + "...";
    os << std::left << std::setw(w1) << label << std::setw(w2) << shape << std::right
       << std::setw(w3) << withCommas(params[n]) << std::setw(w4) << withCommas(f);
    for (size_t k = 0; k < shared[n].size(); ++k)
      os << (k == 0 ? "  (shared with " : ", ") << shared[n][k]
         << (k + 1 == shared[n].size() ? ")" : "");
    os << "\n";
  }
  ParamCounts c = countParams(p);
  os << dbl << "\n"
     << "Total params: " << withCommas(c.total) << "\n"
     << "Trainable params: " << withCommas(c.trainable) << "\n"
     << "Non-trainable params: " << withCommas(c.total - c.trainable) << "\n";
  if (c.buffers > 0)
    os << "Buffers (running statistics): " << withCommas(c.buffers) << "\n";
  os
     << "Forward FLOPs per sample: " << withCommas(flops) << "\n"
     << rule << "\n";
  return os.str();
}

std::string graphDot(const Program& p) {
  const Graph& g = p.graph();
  DotGraph dg;
  dg.name = g.name;
  // Vertices: one per node, then one per graph input and param.
  std::vector<int> sourceVertex(p.values().size(), -1);
  for (const Node& node : g.nodes) dg.vertices.push_back({node.name + "\n" + node.op, "box"});
  for (size_t v = 0; v < p.values().size(); ++v) {
    const ValueInfo& info = p.value(int(v));
    if (info.kind == ValueKind::NodeOutput) continue;
    bool isConst = info.kind == ValueKind::Param && !g.params[info.owner].trainable;
    sourceVertex[v] = int(dg.vertices.size());
    dg.vertices.push_back({info.name + "\n" + dimsStr(info.dims, true) +
                               (isConst ? " const" : ""),
                           info.kind == ValueKind::Input ? "ellipse" : "note"});
  }
  for (int n = 0; n < p.numNodes(); ++n)
    for (int v : p.nodeInputs(n)) {
      const ValueInfo& info = p.value(v);
      int from = info.kind == ValueKind::NodeOutput ? info.owner : sourceVertex[v];
      dg.edges.emplace_back(from, n);
      dg.edgeLabels.push_back(info.kind == ValueKind::NodeOutput
                                  ? info.name + " " + dimsStr(info.dims, true)
                                  : "");
    }
  return writeDot(dg);
}

namespace {

/// A node whose output is not differentiable everywhere: Relu (a kink at 0)
/// or MaxPool (a kink where a window's winner changes).
struct KinkProbe {
  int in = -1;  ///< MaxPool: its input; -1 for activations
  int out = -1;
};

/// The kinks a parameter change can move: a node whose output has no
/// gradient (a max pool of the input image) depends on no parameter.
std::vector<KinkProbe> kinkProbes(const Plan& plan) {
  const Program& p = plan.program();
  std::vector<KinkProbe> out;
  for (int n : plan.order()) {
    const std::string& op = p.graph().nodes[n].op;
    if (!plan.valueNeedsGrad(p.nodeOutputs(n)[0])) continue;
    if (op == "Relu")
      out.push_back({-1, p.nodeOutputs(n)[0]});
    else if (op == "MaxPool")
      out.push_back({p.nodeInputs(n)[0], p.nodeOutputs(n)[0]});
  }
  return out;
}

/// The values of the probes after a forward pass: per probe its output,
/// then (MaxPool) its input.
using KinkSnapshot = std::vector<std::vector<float>>;

KinkSnapshot snapshot(Plan& plan, const std::vector<KinkProbe>& probes) {
  KinkSnapshot s;
  for (const KinkProbe& k : probes) {
    s.push_back(plan.readValue(k.out));
    if (k.in >= 0) s.push_back(plan.readValue(k.in));
  }
  return s;
}

uint64_t pairKey(float a, float b) {
  uint32_t x, y;
  std::memcpy(&x, &a, 4);
  std::memcpy(&y, &b, 4);
  return uint64_t(x) << 32 | y;
}

/// What the kinks crossed between the passes a and b (at p + h u and
/// p - h u) add to the central difference quotient, to first order; *count
/// receives how many units and windows crossed one. `at0` holds the probes'
/// values at p, `grads` dL/d(output) per probe at p.
///  - A Relu unit whose input changed sign: its output moved by
///    (a+ - a-) / 2h in the quotient where the analytic gradient has
///    relu'(z0) * dz/dt, with dz/dt from the side that stayed positive
///    (z is linear in t to first order).
///  - A max-pool window whose winner changed: the quotient has
///    (y+ - y-) / 2h where the analytic gradient has the slope of p's winner,
///    (x+ - x-) / 2h of the input element that held y0 at p (none when y0 is
///    0: the winner then is a clipped Relu output, slope 0).
double kinkError(const std::vector<KinkProbe>& probes, const KinkSnapshot& at0,
                 const std::vector<std::vector<float>>& grads, const KinkSnapshot& a,
                 const KinkSnapshot& b, double h, int* count) {
  double err = 0;
  size_t s = 0;
  for (size_t k = 0; k < probes.size(); ++k) {
    const std::vector<float>&ya = a[s], &yb = b[s], &y0 = at0[s];
    const std::vector<float>& g = grads[k];
    ++s;
    if (probes[k].in < 0) {
      for (size_t i = 0; i < ya.size(); ++i) {
        if ((ya[i] > 0) == (yb[i] > 0)) continue;
        ++*count;
        double quotient = (double(ya[i]) - yb[i]) / (2 * h);
        double slope = 0;
        if (y0[i] > 0) slope = ya[i] > 0 ? (double(ya[i]) - y0[i]) / h : (double(y0[i]) - yb[i]) / h;
        err += g[i] * (quotient - slope);
      }
      continue;
    }
    const std::vector<float>&xa = a[s], &xb = b[s], &x0 = at0[s];
    ++s;
    std::unordered_set<uint64_t> pairs;
    std::unordered_map<float, size_t> holder;  // value at p -> an element
    pairs.reserve(xa.size());
    for (size_t i = 0; i < xa.size(); ++i) {
      pairs.insert(pairKey(xa[i], xb[i]));
      if (x0[i] > 0) holder.emplace(x0[i], i);
    }
    for (size_t j = 0; j < ya.size(); ++j) {
      if (pairs.count(pairKey(ya[j], yb[j]))) continue;
      ++*count;
      double quotient = (double(ya[j]) - yb[j]) / (2 * h), slope = 0;
      auto it = y0[j] > 0 ? holder.find(y0[j]) : holder.end();
      if (it != holder.end()) slope = (double(xa[it->second]) - xb[it->second]) / (2 * h);
      err += g[j] * (quotient - slope);
    }
  }
  return err;
}

/// A random unit direction.
std::vector<double> randomDirection(Rng& rng, int64_t n) {
  std::vector<double> u(static_cast<size_t>(n));
  double norm = 0;
  for (auto& v : u) {
    v = rng.normal();
    norm += v * v;
  }
  for (auto& v : u) v /= std::sqrt(norm);
  return u;
}

}  // namespace

std::vector<ParamGradCheck> checkModelGradients(
    std::shared_ptr<const Program> program, const ModelGradCheckOptions& opts) {
  const Program& p = *program;
  if (p.lossValue() < 0)
    throw GraphError(p.graph().loc, "", "", "the graph declares no loss to check");
  ParamStore store(program);
  store.initialize(opts.seed);
  PlanOptions po;
  po.mode = Mode::Training;
  po.batch = opts.batch;
  po.outputs = {p.value(p.lossValue()).name};
  po.shareBuffers = false;  // the kink probes read ReLU and MaxPool values
  Plan plan(program, store, po);
  Rng rng(opts.seed * 977 + 3);
  for (const InputDef& in : p.graph().inputs) {
    int v = p.findValue(in.name);
    dnnl::memory& m = plan.inputMemory(in.name);
    int64_t n = numel(plan.dims(v));
    if (in.dtype == DType::F32) {
      float* x = static_cast<float*>(m.get_data_handle());
      for (int64_t i = 0; i < n; ++i) x[i] = rng.uniform();
      continue;
    }
    // Labels: the class count is the last dim of the consumer's first input.
    int64_t classes = 2;
    for (auto [node, port] : p.value(v).consumers) {
      const Dims& d = p.value(p.nodeInputs(node)[0]).dims;
      if (!d.empty() && d.back() > 1) classes = d.back();
    }
    int32_t* y = static_cast<int32_t*>(m.get_data_handle());
    for (int64_t i = 0; i < n; ++i) y[i] = int32_t(rng.next() % uint64_t(classes));
  }
  const std::string lossName = p.value(p.lossValue()).name;
  const std::vector<KinkProbe> probes = kinkProbes(plan);
  plan.forward();
  const double f0 = plan.readScalar(lossName);
  const KinkSnapshot at0 = snapshot(plan, probes);
  plan.backward();
  std::vector<std::vector<float>> probeGrads;
  for (const KinkProbe& k : probes)
    probeGrads.push_back(plan.readGrad(p.value(k.out).name));
  // Smallest loss change f32 resolves reliably (about 100 ulps of the loss).
  const double resolution = 1e-5 * std::max(std::fabs(f0), 1.0);
  std::vector<ParamGradCheck> out;
  for (int k = 0; k < store.numParams(); ++k) {
    if (!store.def(k).trainable) continue;
    ParamGradCheck r;
    r.param = store.def(k).name;
    const int64_t n = store.size(k);
    std::vector<double> g(store.gradData(k), store.gradData(k) + n);
    for (double v : g) r.gradNorm += v * v;
    r.gradNorm = std::sqrt(r.gradNorm);
    float* x = store.data(k);
    std::vector<float> x0(x, x + n);
    for (int d = 0; d < opts.directions; ++d) {
      std::vector<double> u;
      if (d == 0 && r.gradNorm > 0) {
        u.resize(size_t(n));
        for (int64_t i = 0; i < n; ++i) u[size_t(i)] = g[size_t(i)] / r.gradNorm;
      } else {
        u = randomDirection(rng, n);
      }
      double analytic = 0, umax = 0;
      for (int64_t i = 0; i < n; ++i) {
        analytic += g[size_t(i)] * u[size_t(i)];
        umax = std::max(umax, std::fabs(u[size_t(i)]));
      }
      auto lossAt = [&](double h, double sign, KinkSnapshot* kinks) {
        for (int64_t i = 0; i < n; ++i) x[i] = float(x0[size_t(i)] + sign * h * u[size_t(i)]);
        plan.forward();
        *kinks = snapshot(plan, probes);
        return double(plan.readScalar(lossName));
      };
      // No element moves more than step.
      const double h = double(opts.step) / umax;
      if (h * std::fabs(analytic) < resolution) {
        r.unresolved++;
        continue;
      }
      KinkSnapshot plus, minus;
      double fPlus = lossAt(h, 1, &plus), fMinus = lossAt(h, -1, &minus);
      std::copy(x0.begin(), x0.end(), x);
      // NOTE: across a kink the difference quotient mixes two slopes; the
      // first-order share of the kinks crossed is taken out of it.
      int crossed = 0;
      double kinks = kinkError(probes, at0, probeGrads, plus, minus, h, &crossed);
      if (crossed > 0) r.kinked++;
      double numeric = (fPlus - fMinus) / (2 * h) - kinks;
      double abs = std::fabs(analytic - numeric);
      r.worstAbs = std::max(r.worstAbs, abs);
      // Relative to the largest directional derivative, |g| (the one along
      // g itself): a random direction's g.u is about |g| / sqrt(n), and
      // f32 rounding and the kinks' higher-order terms do not shrink with it.
      r.worstRel = std::max(
          r.worstRel, abs / std::max({std::fabs(analytic), std::fabs(numeric), r.gradNorm}));
      r.checked++;
    }
    out.push_back(r);
  }
  return out;
}

}  // namespace tapeflow
