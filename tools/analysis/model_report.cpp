// tools/analysis/model_report.cpp - summary table, DOT (through dot.h) and
// model gradcheck.
#include "tools/analysis/model_report.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iomanip>
#include <numeric>
#include <sstream>

#include "core/param_store.h"
#include "core/plan.h"
#include "tools/analysis/dot.h"

namespace tapeflow {

std::string withCommas(int64_t n) {
  std::string s = std::to_string(n < 0 ? -n : n);
  for (int i = int(s.size()) - 3; i > 0; i -= 3) s.insert(size_t(i), ",");
  return (n < 0 ? "-" : "") + s;
}

ParamCounts countParams(const Program& p) {
  ParamCounts c;
  for (const ParamDef& d : p.graph().params) {
    int64_t n = numel(d.dims);
    c.total += n;
    if (d.trainable) c.trainable += n;
  }
  return c;
}

std::vector<int64_t> paramsPerNode(const Program& p) {
  std::vector<int64_t> out(p.numNodes(), 0);
  std::vector<bool> counted(p.values().size(), false);
  for (int n : p.order())
    for (int v : p.nodeInputs(n)) {
      const ValueInfo& info = p.value(v);
      if (info.kind != ValueKind::Param || counted[v]) continue;
      counted[v] = true;
      out[n] += numel(p.graph().params[info.owner].dims);
    }
  return out;
}

std::string summaryTable(const Program& p) {
  const Graph& g = p.graph();
  std::vector<int64_t> params = paramsPerNode(p);
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
       << std::setw(w3) << withCommas(params[n]) << std::setw(w4) << withCommas(f)
       << "\n";
  }
  ParamCounts c = countParams(p);
  os << dbl << "\n"
     << "Total params: " << withCommas(c.total) << "\n"
     << "Trainable params: " << withCommas(c.trainable) << "\n"
     << "Non-trainable params: " << withCommas(c.total - c.trainable) << "\n"
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
  plan.forward();
  const double f0 = plan.readScalar(lossName);
  plan.backward();
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
      std::vector<double> u(static_cast<size_t>(n));
      if (d == 0 && r.gradNorm > 0) {
        for (int64_t i = 0; i < n; ++i) u[size_t(i)] = g[size_t(i)] / r.gradNorm;
      } else {
        double norm = 0;
        for (auto& v : u) {
          v = rng.normal();
          norm += v * v;
        }
        for (auto& v : u) v /= std::sqrt(norm);
      }
      double analytic = 0, umax = 0;
      for (int64_t i = 0; i < n; ++i) {
        analytic += g[size_t(i)] * u[size_t(i)];
        umax = std::max(umax, std::fabs(u[size_t(i)]));
      }
      const double h = double(opts.step) / umax;  // no element moves more than step
      if (h * std::fabs(analytic) < resolution) {
        r.unresolved++;
        continue;
      }
      auto lossAt = [&](double sign) {
        for (int64_t i = 0; i < n; ++i) x[i] = float(x0[size_t(i)] + sign * h * u[size_t(i)]);
        plan.forward();
        return double(plan.readScalar(lossName));
      };
      double numeric = (lossAt(1) - lossAt(-1)) / (2 * h);
      std::copy(x0.begin(), x0.end(), x);
      double abs = std::fabs(analytic - numeric);
      r.worstAbs = std::max(r.worstAbs, abs);
      r.worstRel = std::max(r.worstRel, abs / std::max(std::fabs(analytic), std::fabs(numeric)));
      r.checked++;
    }
    out.push_back(r);
  }
  return out;
}

}  // namespace tapeflow
