// core/plan.cpp - planning (pruning, gradient sets, fusion, prepare,
// allocation) and the forward/backward walks.
#include "core/plan.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "core/dnnl_context.h"
#include "core/graph_analysis.h"
#include "core/memory_budget.h"
#include "core/row_view.h"
#include "core/unbroadcast.h"

namespace tapeflow {
namespace {

Dims dimsOf(const dnnl::memory::desc& md) {
  dnnl::memory::dims d = md.dims();
  return Dims(d.begin(), d.end());
}

bool sameDims(const dnnl::memory::desc& a, const Dims& b) {
  Dims d = dimsOf(a);
  if (b.empty()) return d == Dims{1};
  return d == b;
}

}  // namespace

Plan::Plan(std::shared_ptr<const Program> program, ParamStore& params,
           PlanOptions options)
    : program_(std::move(program)), params_(&params), options_(options) {
  const Program& p = *program_;
  const int nv = int(p.values().size()), nn = p.numNodes();
  if (options_.batch < 1)
    throw UsageError(p.graph().loc, "", "",
                     "batch size must be at least 1, found " +
                         std::to_string(options_.batch));
  dims_ = p.dimsAt(options_.batch);
  md_.resize(nv);
  mem_.resize(nv);
  grad_.resize(nv);
  needsGrad_.assign(nv, false);
  isTarget_.assign(nv, false);
  active_.assign(nn, false);
  runsBackward_.assign(nn, false);
  fusedInto_.assign(nn, -1);
  fusedChild_.assign(nn, -1);
  chainOf_.assign(nn, -1);
  internal_.assign(nv, false);
  gradFrom_.assign(nv, -1);
  viewBase_.assign(nv, -1);
  viewMd_.resize(nv);
  reused_.assign(nv, false);
  gradReused_.assign(nv, false);
  postOps_.resize(nn);
  state_.resize(nn);
  gradInMd_.resize(nn);
  edges_.resize(nn);
  info_.resize(nn);
  for (int n = 0; n < nn; ++n) {
    edges_[n].resize(p.nodeInputs(n).size());
    gradInMd_[n].resize(p.nodeInputs(n).size());
  }
  int64_t total = 0;
  for (int v = 0; v < nv; ++v) {
    int64_t n = checkedNumel(dims_[v]);
    if (n < 0 || (total += n) > (int64_t{1} << 33))
      throw IoError(p.value(v).loc, "", "",
                    "batch size " + std::to_string(options_.batch) +
                        " needs more than 32 GiB of activations (value '" +
                        p.value(v).name + "' " + dimsStr(dims_[v]) + ")");
  }
  if (const char* off = std::getenv("TAPEFLOW_NO_FUSE"); off && *off && std::string(off) != "0")
    options_.fuse = false;
  markActive();
  markGradients();
  if (options_.fuse) planFusion();
  if (options_.fuse && !options_.checkNumerics) planChains();
  sharing_ = options_.shareBuffers;
  planThreads();
  prepareNodes();
  if (sharing_) assignBuffers();
  allocateGradients();
}

dnnl::memory Plan::allocate(const dnnl::memory::desc& md, int value, bool grad) {
  const int64_t bytes = int64_t(md.get_size());
  std::string why = "out of memory";
  try {
    dnnl::memory m(md, cpuEngine());
    bytes_ += bytes;
    return m;
  } catch (const dnnl::error& e) {
    if (e.status != dnnl_out_of_memory) why = e.what();
  } catch (const std::bad_alloc&) {
  }
  // A typed error naming the node and the bytes, never "internal error".
  const Program& p = *program_;
  const Node* node = allocNode_ >= 0 ? &p.graph().nodes[allocNode_] : nullptr;
  std::string what = "scratch memory";
  if (value >= 0)
    what = std::string(grad ? "the gradient of " : "") + "'" + p.value(value).name + "'";
  const SourceLoc loc = node ? node->loc : value >= 0 ? p.value(value).loc : p.graph().loc;
  throw IoError(loc, node ? node->name : "", node ? node->op : "",
                "cannot allocate " + formatBytes(bytes) + " (" + std::to_string(bytes) +
                    " bytes) for " + what + " at batch " + std::to_string(options_.batch) +
                    ": " + why + " (this plan already holds " + formatBytes(bytes_) + ")");
}

void Plan::markActive() {
  const Program& p = *program_;
  auto lookup = [&](const std::string& name) {
    int v = p.findValue(name);
    if (v < 0)
      throw UsageError(p.graph().loc, "", "",
                       "no value named '" + name + "' in the graph");
    return v;
  };
  std::vector<int> wanted;
  for (const auto& name : options_.outputs) wanted.push_back(lookup(name));
  if (options_.outputs.empty()) {
    wanted = p.outputValues();
    if (p.predictionValue() >= 0) wanted.push_back(p.predictionValue());
    if (options_.mode == Mode::Training && p.lossValue() >= 0)
      wanted.push_back(p.lossValue());
  }
  if (options_.mode == Mode::Training) {
    for (const auto& name : options_.gradTargets) targets_.push_back(lookup(name));
    if (options_.gradTargets.empty() && p.lossValue() >= 0)
      targets_.push_back(p.lossValue());
    for (int t : targets_) {
      isTarget_[t] = true;
      wanted.push_back(t);
    }
  }
  std::vector<int> roots;
  kept_.assign(p.values().size(), false);
  for (int v : wanted) {
    kept_[v] = true;
    if (p.value(v).kind == ValueKind::NodeOutput) roots.push_back(p.value(v).owner);
  }
  std::vector<bool> anc = ancestorsOf(p.numNodes(), p.edges(), roots);
  for (int n : p.order())
    if (anc[n]) {
      active_[n] = true;
      order_.push_back(n);
    }
}

// A value needs a gradient when it depends on a trainable parameter (or a
// graph input, with inputGrads) through differentiable ports and some grad
// target depends on it the same way.
void Plan::markGradients() {
  if (options_.mode != Mode::Training || targets_.empty()) return;
  const Program& p = *program_;
  const int nv = int(p.values().size());
  std::vector<bool> fromSource(nv, false), toTarget(nv, false);
  for (int v = 0; v < nv; ++v) {
    const ValueInfo& info = p.value(v);
    if (info.kind == ValueKind::Param)
      fromSource[v] = p.graph().params[info.owner].trainable;
    if (info.kind == ValueKind::Input)
      fromSource[v] = options_.inputGrads && info.dtype == DType::F32;
  }
  for (int n : order_) {
    if (!p.op(n).isDifferentiable()) continue;
    bool any = false;
    for (size_t i = 0; i < p.nodeInputs(n).size(); ++i)
      any |= p.op(n).inputPort(int(i)).differentiable &&
             fromSource[p.nodeInputs(n)[i]];
    for (int o : p.nodeOutputs(n))
      fromSource[o] = any && p.value(o).dtype == DType::F32;
  }
  for (int t : targets_) toTarget[t] = true;
  for (auto it = order_.rbegin(); it != order_.rend(); ++it) {
    int n = *it;
    if (!p.op(n).isDifferentiable()) continue;
    bool any = false;
    for (int o : p.nodeOutputs(n)) any |= toTarget[o] && fromSource[o];
    if (!any) continue;
    runsBackward_[n] = true;
    for (size_t i = 0; i < p.nodeInputs(n).size(); ++i)
      if (p.op(n).inputPort(int(i)).differentiable)
        toTarget[p.nodeInputs(n)[i]] = true;
  }
  for (int v = 0; v < nv; ++v) needsGrad_[v] = fromSource[v] && toTarget[v];
  for (int n : order_) {
    bool any = false;
    for (size_t i = 0; i < p.nodeInputs(n).size(); ++i)
      any |= p.op(n).inputPort(int(i)).differentiable &&
             needsGrad_[p.nodeInputs(n)[i]];
    runsBackward_[n] = runsBackward_[n] && any;
  }
}

// The activation node n's output can fold into: the only consumer of n's
// only output, when nobody else reads that value (not a graph output, the
// loss, the prediction, a requested output or a gradient target) and the
// consumer has a post-op form (OpDef::fusesAsPostOp); -1 otherwise.
int Plan::foldableConsumer(int n) const {
  const Program& p = *program_;
  if (p.nodeOutputs(n).size() != 1) return -1;
  int v = p.nodeOutputs(n)[0];
  const ValueInfo& info = p.value(v);
  if (info.consumers.size() != 1 || isTarget_[v]) return -1;
  bool requested = false;
  for (int o : p.outputValues()) requested |= o == v;
  for (const auto& name : options_.outputs) requested |= p.findValue(name) == v;
  if (requested || v == p.lossValue() || v == p.predictionValue()) return -1;
  auto [c, port] = info.consumers[0];
  if (port != 0 || !active_[c] || !p.op(c).postOpFn()) return -1;
  return c;
}

// Folds an activation into its producer (foldableConsumer): a post-op of a
// Conv2D/Linear (the activation's backward still runs, reading the shared
// output), or a Relu into a BatchNorm (fuse_norm_relu: the BatchNorm's
// backward covers the Relu, whose gradient it reads in place of its own).
void Plan::planFusion() {
  const Program& p = *program_;
  for (int n : order_) {
    const OpDef& def = p.op(n);
    if (!def.acceptsPostOpsFlag() && !def.foldsReluFlag()) continue;
    const int c = foldableConsumer(n);
    if (c < 0) continue;
    std::vector<Dims> inDims;
    std::vector<DType> inTypes;
    for (int u : p.nodeInputs(c)) {
      inDims.push_back(dims_[u]);
      inTypes.push_back(p.value(u).dtype);
    }
    ShapeContext sctx(p.graph().nodes[c], p.op(c), p.attrs(c), inDims, inTypes);
    std::vector<PostOpSpec> chain = p.op(c).postOpFn()(sctx);
    if (chain.empty()) continue;
    if (!def.acceptsPostOpsFlag() &&
        (chain.size() != 1 || chain[0].alg != dnnl::algorithm::eltwise_relu ||
         chain[0].alpha != 0.f || chain[0].scale != 1.f))
      continue;  // a foldsRelu op takes a plain Relu only
    dnnl::post_ops po;
    for (const PostOpSpec& s : chain)
      po.append_eltwise(s.scale, s.alg, s.alpha, s.beta);
    postOps_[n] = po;
    fusedChild_[n] = c;
    fusedInto_[c] = n;
    if (def.foldsReluFlag()) {
      gradFrom_[p.nodeOutputs(n)[0]] = p.nodeOutputs(c)[0];
      runsBackward_[c] = false;
    }
  }
}

void Plan::prepareNodes() {
  const Program& p = *program_;
  for (int v = 0; v < int(p.values().size()); ++v) {
    const ValueInfo& info = p.value(v);
    if (info.kind == ValueKind::Param) {
      mem_[v] = params_->value(info.owner);
      md_[v] = mem_[v].get_desc();
    } else if (info.kind == ValueKind::Input) {
      md_[v] = plainDesc(dims_[v], info.dtype);
      mem_[v] = allocate(md_[v], v);
      std::memset(mem_[v].get_data_handle(), 0, md_[v].get_size());
    }
  }
  for (int n : order_) {
    allocNode_ = n;
    const Node& node = p.graph().nodes[n];
    // oneDNN fixes the thread count of some kernels when it creates them.
    ThreadLimit limit(threads_[n]);
    if (chainOf_[n] >= 0) {
      if (chains_[chainOf_[n]].nodes.back() != n) continue;
      try {
        prepareChain(chainOf_[n]);
      } catch (const dnnl::error& e) {
        throw UnsupportedError(node.loc, node.name, node.op,
                               std::string("oneDNN cannot reorder the input of the fused "
                                           "chain ") +
                                   chains_[chainOf_[n]].names(p) + ": " + e.what());
      }
      continue;
    }
    std::vector<Dims> inDims;
    std::vector<DType> inTypes;
    for (int u : p.nodeInputs(n)) {
      inDims.push_back(dims_[u]);
      inTypes.push_back(p.value(u).dtype);
    }
    for (int o : p.nodeOutputs(n)) md_[o] = plainDesc(dims_[o], p.value(o).dtype);
    for (size_t i = 0; i < p.nodeInputs(n).size(); ++i)
      gradInMd_[n][i] = md_[p.nodeInputs(n)[i]];
    NodeView view(node, p.op(n), p.attrs(n), inDims, inTypes);
    PrepareContext ctx(*this, n, view);
    if (fusedInto_[n] >= 0) {
      // Output shares the producer's buffer (already in its layout).
      int src = p.nodeInputs(n)[0];
      ctx.setOutputDesc(0, md_[src]);
    }
    try {
      p.op(n).prepareFn()(ctx);
    } catch (const dnnl::error& e) {
      std::string shapes;
      for (size_t i = 0; i < inDims.size(); ++i)
        shapes += (i ? ", " : "") + dimsStr(inDims[i]);
      throw UnsupportedError(node.loc, node.name, node.op,
                             std::string("oneDNN cannot run this "
                                         "configuration (inputs ") +
                                 shapes + "): " + e.what());
    }
    for (int o : p.nodeOutputs(n)) {
      if (fusedInto_[n] >= 0) {
        if (!sharing_) mem_[o] = mem_[p.nodeInputs(n)[0]];  // else assignBuffers
        md_[o] = md_[p.nodeInputs(n)[0]];
      } else {
        placeValue(o);
      }
    }
  }
}

void Plan::allocateGradients() {
  const Program& p = *program_;
  for (int v = 0; v < int(p.values().size()); ++v) {
    if (!needsGrad_[v] || internal_[v] || gradFrom_[v] >= 0 || viewBase_[v] >= 0) continue;
    const ValueInfo& info = p.value(v);
    allocNode_ = info.kind == ValueKind::NodeOutput ? info.owner : -1;
    if (info.kind == ValueKind::Param) {
      grad_[v] = params_->grad(info.owner);
    } else if (gradReused_[v]) {
      continue;  // in the arena (assignBuffers); its first edge assigns it
    } else {
      grad_[v] = allocate(md_[v], v, true);
    }
    std::memset(grad_[v].get_data_handle(), 0, md_[v].get_size());
  }
  // Outputs of backward-running nodes that need no gradient read zeros.
  for (int n : order_) {
    if (!runsBackward_[n]) continue;
    allocNode_ = n;
    for (int o : p.nodeOutputs(n))
      if (!grad_[o] && !internal_[o] && gradFrom_[o] < 0 && viewBase_[o] < 0) {
        grad_[o] = allocate(md_[o], o, true);
        std::memset(grad_[o].get_data_handle(), 0, md_[o].get_size());
      }
  }
  // A gradient that is a part of another one: a view of that buffer.
  for (int v = 0; v < int(p.values().size()); ++v)
    if (viewBase_[v] >= 0) {
      grad_[v] = dnnl::memory(viewMd_[v], cpuEngine(), grad_[viewBase_[v]].get_data_handle());
      gradReused_[v] = gradReused_[viewBase_[v]];
    }
  // One edge per (node, input) that needs a gradient, in backward order, so
  // the first contribution to a value assigns and later ones accumulate.
  std::vector<bool> seen(isTarget_);
  // A fused chain's edges are all run by its last node.
  for (auto it = order_.rbegin(); it != order_.rend(); ++it) {
    ThreadLimit limit(threads_[*it]);  // *it's backward call runs the edges
    for (int n : backwardUnit(*it)) {
      if (!runsBackward_[n]) continue;
      allocNode_ = n;
      for (size_t i = 0; i < p.nodeInputs(n).size(); ++i) {
        int v = p.nodeInputs(n)[i];
        if (!needsGrad_[v] || internal_[v] || viewBase_[v] >= 0 ||
            !p.op(n).inputPort(int(i)).differentiable)
          continue;
        GradEdge& e = edges_[n][i];
        e.value = v;
        e.assign = !seen[v];
        seen[v] = true;
        const dnnl::memory::desc& want = gradInMd_[n][i];
        e.reduce = !sameDims(want, dims_[v]);
        if (e.assign && !e.reduce && want == md_[v]) {
          e.direct = true;
          e.mem = grad_[v];
          continue;
        }
        e.mem = allocate(want, v, true);
        dnnl::memory::desc have = want;
        if (e.reduce) {
          have = plainDesc(dims_[v], DType::F32);
          e.reduced = allocate(have, v, true);
        }
        dnnl::memory src = e.reduce ? e.reduced : e.mem;
        if (have != md_[v]) {
          e.converted = allocate(md_[v], v, true);
          e.toValueLayout = dnnl::reorder(src, e.converted);
          info_[*it].reorders++;
        }
        if (!e.assign) {
          dnnl::binary::primitive_desc pd(
              {dnnl::algorithm::binary_add, md_[v], md_[v], md_[v]}, cpuEngine());
          e.add = dnnl::binary(pd);
        }
      }
    }
  }
}

void Plan::runEdge(GradEdge& e) {
  if (e.direct) return;
  dnnl::stream& s = cpuStream();
  dnnl::memory src = e.mem;
  if (e.reduce) {
    unbroadcastSum(hostPtr(e.mem), dimsOf(e.mem.get_desc()),
                   hostPtr(e.reduced), dims_[e.value]);
    src = e.reduced;
  }
  if (e.toValueLayout) {
    e.toValueLayout->execute(s, src, e.converted);
    src = e.converted;
  }
  dnnl::memory& g = grad_[e.value];
  if (e.assign) {
    std::memcpy(g.get_data_handle(), src.get_data_handle(),
                md_[e.value].get_size());
  } else {
    e.add->execute(s, {{DNNL_ARG_SRC_0, g}, {DNNL_ARG_SRC_1, src},
                       {DNNL_ARG_DST, g}});
  }
}

void Plan::forward() {
  const Program& p = *program_;
  tape_.clear();
  for (int n : order_) {
    ThreadLimit limit(threads_[n]);
    if (chainOf_[n] >= 0) {
      if (chains_[chainOf_[n]].nodes.back() == n) runChain(chainOf_[n], false);
    } else if (fusedInto_[n] < 0) {
      ExecContext ctx(*this, n);
      if (observer_) observer_->beginNode(n, false);
      p.op(n).forwardFn()(ctx);
      if (observer_) observer_->endNode(n, false);
    }
    if (options_.checkNumerics) checkFinite(n, false);
    if (options_.mode == Mode::Training) tape_.push_back(n);
  }
  cpuStream().wait();
}

void Plan::backward() {
  const Program& p = *program_;
  if (options_.mode != Mode::Training)
    throw UsageError(p.graph().loc, "", "",
                     "backward() needs a plan prepared for training");
  int loss = p.lossValue();
  if (loss >= 0 && isTarget_[loss] && grad_[loss]) *hostPtr(grad_[loss]) = 1.f;
  for (auto it = tape_.rbegin(); it != tape_.rend(); ++it) {
    int n = *it;
    if (!runsBackward_[n]) continue;
    ThreadLimit limit(threads_[n]);
    if (chainOf_[n] >= 0) {
      if (chains_[chainOf_[n]].nodes.back() == n) runChain(chainOf_[n], true);
      continue;
    }
    GradContext ctx(*this, n);
    if (observer_) observer_->beginNode(n, true);
    p.op(n).backwardFn()(ctx);
    for (GradEdge& e : edges_[n])
      if (e.value >= 0) runEdge(e);
    if (observer_) observer_->endNode(n, true);
    if (options_.checkNumerics) checkFinite(n, true);
  }
  cpuStream().wait();
}

int Plan::gradientFinalAfter(int value) const {
  if (viewBase_.at(value) >= 0) return gradientFinalAfter(viewBase_[value]);
  for (int n : tape_) {  // the first on the tape is the last replayed
    if (!runsBackward_[n]) continue;
    for (const GradEdge& e : edges_[n])
      if (e.value == value) return n;
  }
  return -1;
}

void Plan::seedGrad(const std::string& name, const float* data) {
  int v = program_->findValue(name);
  if (v < 0 || !isTarget_[v] || !grad_[v])
    throw UsageError(program_->graph().loc, "", "",
                     "'" + name + "' is not a gradient target of this plan");
  dnnl::memory::desc plain = plainDesc(dims_[v]);
  dnnl::memory tmp(plain, cpuEngine(), const_cast<float*>(data));
  if (plain == md_[v]) {
    std::memcpy(grad_[v].get_data_handle(), data, plain.get_size());
  } else {
    dnnl::reorder(tmp, grad_[v]).execute(cpuStream(), tmp, grad_[v]);
    cpuStream().wait();
  }
}

dnnl::memory& Plan::inputMemory(const std::string& name) {
  int v = program_->findValue(name);
  if (v < 0 || program_->value(v).kind != ValueKind::Input)
    throw UsageError(program_->graph().loc, "", "",
                     "'" + name + "' is not a graph input");
  return mem_[v];
}

namespace {
std::vector<float> toPlain(const dnnl::memory& m, const Dims& dims) {
  dnnl::memory::desc plain = plainDesc(dims, DType::F32);
  std::vector<float> out(plain.get_size() / sizeof(float));
  if (m.get_desc().data_type() == dnnl::memory::data_type::s32) {
    const int32_t* src = static_cast<const int32_t*>(m.get_data_handle());
    for (size_t i = 0; i < out.size(); ++i) out[i] = float(src[i]);
    return out;
  }
  if (m.get_desc() == plain) {
    std::memcpy(out.data(), m.get_data_handle(), plain.get_size());
    return out;
  }
  dnnl::memory dst(plain, cpuEngine(), out.data());
  dnnl::memory src = m;
  dnnl::reorder(src, dst).execute(cpuStream(), src, dst);
  cpuStream().wait();
  return out;
}
}  // namespace

std::vector<float> Plan::readValue(int v) {
  if (mem_.at(v) && reused_[v])
    throw UsageError(program_->graph().loc, "", "",
                     "value '" + program_->value(v).name +
                         "' is not kept by this plan (its memory is reused after "
                         "its last use); request it as an output");
  if (!mem_.at(v))
    throw UsageError(program_->graph().loc, "", "",
                     "value '" + program_->value(v).name +
                         "' is not computed by this plan");
  return toPlain(mem_[v], dims_[v]);
}

std::vector<float> Plan::readValue(const std::string& name) {
  int v = program_->findValue(name);
  if (v < 0)
    throw UsageError(program_->graph().loc, "", "", "no value named '" + name + "'");
  return readValue(v);
}

std::vector<float> Plan::readGrad(const std::string& name) {
  int v = program_->findValue(name);
  if (v < 0 || !grad_[v])
    throw UsageError(program_->graph().loc, "", "",
                     "no gradient is computed for '" + name + "'");
  if (gradReused_[v])
    throw UsageError(program_->graph().loc, "", "",
                     "the gradient of '" + name +
                         "' is not kept by this plan (its memory is reused after the backward "
                         "pass reads it); build the plan with shareBuffers off to read it");
  return toPlain(grad_[v], dims_[v]);
}

float Plan::readScalar(const std::string& name) { return readValue(name).at(0); }

// Takes `part` of node's output gradient as the gradient of its input
// when nothing else contributes to that gradient and the input's producer
// reads it as rows (see PrepareContext::gradInputAsView).
bool Plan::offerGradView(int node, int input, const dnnl::memory::desc& part) {
  const Program& p = *program_;
  if (!options_.fuse || p.nodeOutputs(node).size() != 1) return false;
  const int v = p.nodeInputs(node).at(size_t(input)), out = p.nodeOutputs(node)[0];
  const ValueInfo& info = p.value(v);
  if (info.kind != ValueKind::NodeOutput || isTarget_[v] || !needsGrad_[v] ||
      internal_[v] || gradFrom_[v] >= 0 || viewBase_[v] >= 0)
    return false;
  if (gradFrom_[out] >= 0 || internal_[out] || viewBase_[out] >= 0) return false;
  int readers = 0;
  for (auto [c, port] : info.consumers) readers += active_[c] ? 1 : 0;
  const int producer = info.owner;
  if (readers != 1 || chainOf_[producer] >= 0 || p.nodeOutputs(producer).size() != 1 ||
      !p.op(producer).readsGradRowsFlag() || !rowViewOf(part, md_[v]))
    return false;
  viewBase_[v] = out;
  viewMd_[v] = part;
  return true;
}

dnnl::memory Plan::scratchMemory(const dnnl::memory::desc& md) {
  dnnl::memory m = allocate(md);
  scratch_.push_back(m);
  return m;
}

uint64_t Plan::nodeSeed(int node) const {
  Rng rng(seed_ ^ (step_ * 0x9E3779B97F4A7C15ull) ^ (uint64_t(node) << 32));
  return rng.next();
}

void Plan::checkFinite(int n, bool backwardPass) {
  const Program& p = *program_;
  auto check = [&](const dnnl::memory& m, int v, const char* what) {
    if (!m || m.get_desc().data_type() != dnnl::memory::data_type::f32) return;
    std::vector<float> x = toPlain(m, dims_[v]);
    int64_t nan = 0, inf = 0;
    for (float f : x) {
      nan += std::isnan(f);
      inf += std::isinf(f);
    }
    if (nan || inf) {
      const Node& node = p.graph().nodes[n];
      throw NumericError(node.loc, node.name, node.op,
                         std::string(backwardPass ? "backward" : "forward") +
                             ": " + what + " '" + p.value(v).name + "' has " +
                             std::to_string(nan) + " NaN and " +
                             std::to_string(inf) + " Inf values");
    }
  };
  if (!backwardPass) {
    for (int o : p.nodeOutputs(n)) check(mem_[o], o, "output");
  } else {
    for (const GradEdge& e : edges_[n])
      if (e.value >= 0) check(grad_[e.value], e.value, "gradient of");
  }
}

}  // namespace tapeflow
