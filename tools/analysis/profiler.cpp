// tools/analysis/profiler.cpp - timed steps on an instrumented and a plain
// plan, the per-node report, the sgemm peak and the Chrome trace.
#include "tools/analysis/profiler.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>

#include <oneapi/dnnl/dnnl.h>

#include "core/dnnl_context.h"
#include "core/param_store.h"
#include "core/plan.h"
#include "train/data/batcher.h"
#include "train/data/data_source.h"
#include "train/distributed/data_parallel_step.h"
#include "train/distributed/gradient_buffer.h"
#include "train/evaluation.h"
#include "train/optimizer.h"
#include "train/train_step.h"

namespace tapeflow {
namespace {

using Clock = std::chrono::steady_clock;

double msBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double mean(const std::vector<double>& x) {
  double s = 0;
  for (double v : x) s += v;
  return x.empty() ? 0 : s / double(x.size());
}

double median(std::vector<double> x) {
  if (x.empty()) return 0;
  std::sort(x.begin(), x.end());
  size_t m = x.size() / 2;
  return x.size() % 2 ? x[m] : 0.5 * (x[m - 1] + x[m]);
}

double loadAverage() {
  std::ifstream f("/proc/loadavg");
  double load = -1;
  if (!(f >> load)) return -1;
  return load;
}

// One timed node call.
struct NodeEvent {
  int node = -1;
  bool backward = false;
  Clock::time_point start, end;
};

// Times every node call of a plan (a stream wait ends each call, so the
// time is the node's own) and, while recording, keeps each call as an
// event for the trace.
class NodeTimer : public NodeObserver {
 public:
  explicit NodeTimer(int numNodes)
      : forwardMs_(size_t(numNodes), 0), backwardMs_(size_t(numNodes), 0) {}
  void beginNode(int, bool) override { start_ = Clock::now(); }
  void endNode(int node, bool backward) override {
    cpuStream().wait();
    const Clock::time_point end = Clock::now();
    (backward ? backwardMs_ : forwardMs_)[size_t(node)] += msBetween(start_, end);
    if (recording_) events_.push_back({node, backward, start_, end});
  }
  // Clears the sums and records events from now on; `reserve` calls.
  void startRecording(size_t reserve) {
    std::fill(forwardMs_.begin(), forwardMs_.end(), 0);
    std::fill(backwardMs_.begin(), backwardMs_.end(), 0);
    events_.reserve(reserve);
    recording_ = true;
  }
  double forwardMs(int node) const { return forwardMs_[size_t(node)]; }
  double backwardMs(int node) const { return backwardMs_[size_t(node)]; }
  const std::vector<NodeEvent>& events() const { return events_; }

 private:
  std::vector<double> forwardMs_, backwardMs_;
  std::vector<NodeEvent> events_;
  Clock::time_point start_;
  bool recording_ = false;
};

// The boundaries of one step: start, data copied, forward done, backward
// done, optimizer done (the last two equal the forward end in inference).
struct StepTimes {
  Clock::time_point start, data, forward, backward, synced, reduced, end;
};

// Records the phase boundaries of TrainStep::run into a StepTimes.
class PhaseTimer : public StepObserver {
 public:
  explicit PhaseTimer(StepTimes& t) : t_(t) {}
  void beginPhase(StepPhase) override {}
  void endPhase(StepPhase phase) override {
    const Clock::time_point now = Clock::now();
    switch (phase) {
      case StepPhase::Data: t_.data = now; break;
      case StepPhase::Forward:
        t_.forward = t_.backward = t_.synced = t_.reduced = t_.end = now;
        break;
      case StepPhase::Backward: t_.backward = t_.synced = t_.reduced = t_.end = now; break;
      case StepPhase::Allreduce: t_.reduced = t_.end = now; break;
      case StepPhase::Clip: break;
      case StepPhase::Optimizer: t_.end = now; break;
    }
  }

 private:
  StepTimes& t_;
};

// Uniform [0, 1) values for f32 inputs; i32 inputs uniform over the class
// count (the last dim of the first input of the input's consumer, as
// gradcheck does). Four batches, one field per graph input.
std::shared_ptr<const DataSource> randomSource(const Program& p, int64_t batch,
                                               uint64_t seed) {
  Rng rng(seed * 977 + 11);
  const int64_t samples = 4 * batch;
  std::vector<InMemoryTensor> tensors;
  for (const InputDef& in : p.graph().inputs) {
    const int v = p.findValue(in.name);
    InMemoryTensor t;
    t.spec.name = in.name;
    t.spec.dtype = in.dtype;
    t.spec.dims.assign(p.value(v).dims.begin() + 1, p.value(v).dims.end());
    const size_t n = size_t(samples * numel(t.spec.dims));
    if (in.dtype == DType::F32) {
      t.f32.resize(n);
      for (float& f : t.f32) f = rng.uniform();
    } else {
      int64_t classes = 2;
      for (auto [node, port] : p.value(v).consumers) {
        const Dims& d = p.value(p.nodeInputs(node)[0]).dims;
        if (!d.empty() && d.back() > 1) classes = d.back();
      }
      t.i32.resize(n);
      for (int32_t& k : t.i32) k = int32_t(rng.next() % uint64_t(classes));
    }
    tensors.push_back(std::move(t));
  }
  return std::make_shared<InMemorySource>(std::move(tensors), "random inputs");
}

// The training step's data: the batcher over the source, epoch after epoch.
class Feed {
 public:
  explicit Feed(Batcher& batches) : batches_(batches) { batches_.start(epoch_, 0); }
  const Batch& next() {
    while (!batches_.next(&batch_)) batches_.start(++epoch_, 0);
    return batch_;
  }

 private:
  Batcher& batches_;
  Batch batch_;
  int64_t epoch_ = 0;
};

// The gradient allreduce of a profile on several ranks.
struct GradientSync {
  Communicator* comm = nullptr;
  GradientBuffer* buffer = nullptr;
};

// Runs `count` steps on a plan; with `times`, records each step's bounds.
void runSteps(Plan& plan, Feed& feed, TrainStep& step, int count, int64_t& stepNo,
              std::vector<StepTimes>* times, const GradientSync& sync) {
  for (int k = 0; k < count; ++k) {
    StepTimes t;
    PhaseTimer timer(t);
    t.start = Clock::now();
    const Batch& b = feed.next();
    if (!sync.buffer || plan.mode() != Mode::Training) {
      step.run(plan, b, stepNo++, &timer);
    } else {
      step.computeGradients(plan, b, stepNo, &timer);
      // A one-float allreduce first: the ranks meet, so that the gradient
      // allreduce after it times the transfer alone, not the wait for the
      // slowest rank.
      float meet = 0;
      sync.comm->allreduceSum(&meet, 1);
      t.synced = Clock::now();
      {
        PhaseScope phase(&timer, StepPhase::Allreduce);
        sync.buffer->accumulate(true);
        sync.comm->allreduceSum(sync.buffer->data(), sync.buffer->size());
        sync.buffer->unpack(1.f / float(sync.comm->size()));
      }
      step.applyUpdate(stepNo++, &timer);
    }
    if (times) times->push_back(t);
  }
}

// Timed steps per block of the alternating passes.
constexpr int kBlock = 5;

bool isMatrixOp(const std::string& op) {
  return op == "Conv2D" || op == "Linear" || op == "MatMul";
}

std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string micros(double us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", us);
  return buf;
}

}  // namespace

double measurePeakGflops(int64_t size, int runs) {
  if (size <= 0) return 0;
  const size_t n = size_t(size) * size_t(size);
  std::vector<float> a(n), b(n), c(n, 0.f);
  for (size_t i = 0; i < n; ++i) {
    a[i] = float(i % 7) * 0.125f;
    b[i] = float(i % 5) * 0.25f;
  }
  auto gemm = [&] {
    dnnl_status_t st = dnnl_sgemm('N', 'N', size, size, size, 1.f, a.data(), size,
                                  b.data(), size, 0.f, c.data(), size);
    if (st != dnnl_success)
      throw UnsupportedError({}, "", "",
                             "dnnl_sgemm failed with status " + std::to_string(int(st)));
  };
  gemm();  // warm-up: page faults, thread pool start
  double best = 0;
  for (int r = 0; r < std::max(runs, 1); ++r) {
    auto t0 = Clock::now();
    gemm();
    double sec = msBetween(t0, Clock::now()) * 1e-3;
    if (sec > 0) best = std::max(best, 2.0 * double(size) * double(size) * double(size) / sec * 1e-9);
  }
  return best;
}

ProfileReport profileModel(std::shared_ptr<const Program> program,
                           const ProfileOptions& o, const std::string& name) {
  const Program& p = *program;
  const int ranks = o.comm ? o.comm->size() : 1;
  const int64_t globalBatch = o.solver.batchSize;
  const int64_t batch = ranks > 1 && globalBatch >= 1
                            ? rankSlice(globalBatch, 0, ranks, 1).second
                            : globalBatch;  // this rank's
  if (batch < 1 || o.steps < 1 || o.warmup < 0)
    throw UsageError({}, "", "",
                     "the batch size (" + std::to_string(batch) + ") and the timed steps (" +
                         std::to_string(o.steps) + ") must be at least 1 and the warm-up "
                         "steps (" + std::to_string(o.warmup) + ") at least 0");
  const Mode mode = o.inference ? Mode::Inference : Mode::Training;
  if (mode == Mode::Training && p.lossValue() < 0)
    throw GraphError(p.graph().loc, "", "",
                     "the graph declares no loss; profile training needs one "
                     "(an inference profile does not)");

  ProfileReport r;
  r.model = name;
  r.batch = globalBatch;
  r.ranks = ranks;
  r.steps = o.steps;
  r.warmup = o.warmup;
  r.inference = o.inference;
  r.threads = numThreads();
  r.data = o.dataDir.empty() ? "random" : o.dataDir;
  r.optimizer = o.inference ? "" : o.solver.optimizer;
  r.loadAverage = loadAverage();

  // What `train` computes (loss and prediction) or, for inference, what
  // `predict` computes (the prediction).
  PlanOptions po;
  po.mode = mode;
  po.batch = batch;
  po.fuse = o.fuse;
  if (mode == Mode::Training) {
    po.outputs = {p.value(p.lossValue()).name};
    if (p.predictionValue() >= 0) po.outputs.push_back(p.value(p.predictionValue()).name);
  } else if (p.predictionValue() >= 0) {
    po.outputs = {p.value(p.predictionValue()).name};
  }
  ParamStore store(program);
  store.initialize(o.solver.seed);
  std::optional<GradientBuffer> buffer;
  GradientSync sync;
  if (ranks > 1 && mode == Mode::Training) {
    buffer.emplace(store, 0);
    sync = {o.comm.get(), &*buffer};
    r.gradientBytes = int64_t(buffer->size() * sizeof(float));
  }
  std::unique_ptr<Optimizer> opt;
  if (mode == Mode::Training) opt = Optimizer::create(o.solver, store);
  const int64_t classes = predictionClasses(p);
  std::shared_ptr<const DataSource> source =
      o.dataDir.empty() ? randomSource(p, batch, o.solver.seed + uint64_t(o.comm ? o.comm->rank() : 0))
                        : std::make_shared<IdxDirSource>(
                              o.dataDir, "train",
                              int(std::clamp<int64_t>(classes > 0 ? classes : 10, 1, 256)));
  Batcher batches(source, transformFor(o.solver, mode == Mode::Training), batch,
                  o.solver.seed, /*dropLast=*/true);
  TrainStep trainStep(program, store, opt.get(), o.solver, bindInputs(p, batches, o.solver),
                      batches.batchesPerEpoch());
  Feed feed(batches);

  Plan timed(program, store, po);
  timed.setSeed(o.solver.seed);
  NodeTimer timer(p.numNodes());
  timed.setObserver(&timer);
  Plan plain(program, store, po);
  plain.setSeed(o.solver.seed);

  // Warm-up on both plans, then the timed steps of the two passes in
  // alternating blocks, so that a change in the machine's load during the
  // run affects both alike. Events go to a vector reserved once for every
  // timed call (a fused node runs no forward, so this is an upper bound).
  int64_t step = 0;
  std::vector<StepTimes> timedSteps, plainSteps;
  timedSteps.reserve(size_t(o.steps));
  plainSteps.reserve(size_t(o.steps));
  runSteps(timed, feed, trainStep, o.warmup, step, nullptr, sync);
  runSteps(plain, feed, trainStep, o.warmup, step, nullptr, sync);
  timer.startRecording(size_t(o.steps) * timed.order().size() * 2);
  for (int done = 0; done < o.steps; done += kBlock) {
    const int n = std::min(kBlock, o.steps - done);
    runSteps(timed, feed, trainStep, n, step, &timedSteps, sync);
    runSteps(plain, feed, trainStep, n, step, &plainSteps, sync);
  }
  timed.setObserver(nullptr);
  const std::vector<NodeEvent>& events = timer.events();

  std::vector<double> total, dataMs, optMs, waitMs, reduceMs, plainTotal;
  for (const StepTimes& t : timedSteps) {
    total.push_back(msBetween(t.start, t.end));
    dataMs.push_back(msBetween(t.start, t.data));
    waitMs.push_back(msBetween(t.backward, t.synced));
    reduceMs.push_back(msBetween(t.synced, t.reduced));
    optMs.push_back(msBetween(t.reduced, t.end));
  }
  for (const StepTimes& t : plainSteps) plainTotal.push_back(msBetween(t.start, t.end));
  r.instrumentedMs = mean(total);
  r.instrumentedMedianMs = median(total);
  r.dataMs = mean(dataMs);
  r.optimizerMs = mean(optMs);
  r.allreduceMs = mean(reduceMs);
  r.rankWaitMs = mean(waitMs);
  r.uninstrumentedMs = mean(plainTotal);
  r.uninstrumentedMedianMs = median(plainTotal);
  r.overhead = r.uninstrumentedMedianMs > 0
                   ? r.instrumentedMedianMs / r.uninstrumentedMedianMs - 1
                   : 0;
  r.imagesPerSecond =
      r.uninstrumentedMs > 0 ? double(globalBatch) / (r.uninstrumentedMs * 1e-3) : 0;
  r.planBytes = plain.bytesAllocated();
  r.buffers = plain.bufferStats();
  r.arenaBytes = 2 * store.arenaSize() * int64_t(sizeof(float));

  if (o.peakSize > 0 && (!o.comm || o.comm->rank() == 0)) {
    r.peakSize = o.peakSize;
    r.peakGflops = measurePeakGflops(o.peakSize, o.peakRuns);
  }

  // Per-node rows, in execution order.
  std::vector<int> fusedChild(size_t(p.numNodes()), -1);
  for (int n : timed.order())
    if (timed.fused(n)) fusedChild[size_t(timed.fusedInto(n))] = n;
  for (int n : timed.order()) {
    const Node& node = p.graph().nodes[size_t(n)];
    // A fused chain is one row, at its last node, which runs it.
    const FusedChain* chain = timed.chainOf(n);
    if (chain && chain->nodes.back() != n) continue;
    NodeProfile np;
    np.node = n;
    np.name = chain ? chain->names(p) : node.name;
    np.op = chain ? chain->ops(p) : node.op;
    np.forwardMs = timer.forwardMs(n) / o.steps;
    np.backwardMs = timer.backwardMs(n) / o.steps;
    np.backward = mode == Mode::Training && timed.runsBackward(n);
    np.forwardFlops = 0;
    for (int m : chain ? chain->nodes : std::vector<int>{n})
      np.forwardFlops += double(p.flopsPerSample(m)) * double(batch);
    np.backwardFlops = np.backward ? np.forwardFlops * (isMatrixOp(node.op) ? 2 : 1) : 0;
    np.fused = timed.fused(n);
    if (np.fused) np.fusedInto = p.graph().nodes[size_t(timed.fusedInto(n))].name;
    double ms = np.forwardMs + np.backwardMs;
    double flops = (np.fused ? 0 : np.forwardFlops) + np.backwardFlops;
    np.gflops = ms > 0 ? flops / (ms * 1e6) : 0;
    np.peakShare = r.peakGflops > 0 ? np.gflops / r.peakGflops : 0;
    np.share = r.instrumentedMs > 0 ? ms / r.instrumentedMs : 0;
    np.impl = timed.nodeInfo(n).impl;
    np.reorders = timed.nodeInfo(n).reorders;
    np.threads = timed.threads(n);
    r.nodesMs += ms;
    r.stepFlops += np.forwardFlops + np.backwardFlops;
    r.reorders += np.reorders;
    r.nodes.push_back(std::move(np));
  }
  for (int n = 0; n < p.numNodes(); ++n)
    if (!timed.active(n)) r.pruned.push_back(p.graph().nodes[size_t(n)].name);
  r.untimedMs = r.instrumentedMs - r.nodesMs - r.optimizerMs - r.dataMs - r.allreduceMs -
                r.rankWaitMs;

  // Trace: microseconds from the first timed step.
  const Clock::time_point origin = timedSteps.front().start;
  auto us = [&](Clock::time_point t) {
    return std::chrono::duration<double, std::micro>(t - origin).count();
  };
  auto slice = [&](std::string sliceName, std::string cat, Clock::time_point a,
                   Clock::time_point b, int stepNo) {
    TraceEvent e;
    e.name = std::move(sliceName);
    e.cat = std::move(cat);
    e.ts = us(a);
    e.dur = us(b) - e.ts;
    e.step = stepNo;
    return e;
  };
  size_t next = 0;
  r.trace.reserve(events.size() * 3 / 2 + timedSteps.size() * 7);
  for (size_t k = 0; k < timedSteps.size(); ++k) {
    const StepTimes& t = timedSteps[k];
    const int s = int(k) + 1;
    TraceEvent stepSlice = slice("step " + std::to_string(s), "step", t.start, t.end, s);
    stepSlice.note = std::to_string(batch) + " images";
    r.trace.push_back(std::move(stepSlice));
    r.trace.push_back(slice("data", "data", t.start, t.data, s));
    r.trace.push_back(slice("forward", "pass", t.data, t.forward, s));
    if (mode == Mode::Training) {
      r.trace.push_back(slice("backward", "pass", t.forward, t.backward, s));
      if (ranks > 1) {
        r.trace.push_back(slice("wait for ranks", "allreduce", t.backward, t.synced, s));
        r.trace.push_back(slice("allreduce", "allreduce", t.synced, t.reduced, s));
      }
      r.trace.push_back(slice("optimizer", "optimizer", t.reduced, t.end, s));
    }
    for (; next < events.size() && events[next].start <= t.end; ++next) {
      const NodeEvent& ev = events[next];
      const Node& node = p.graph().nodes[size_t(ev.node)];
      const FusedChain* chain = timed.chainOf(ev.node);
      TraceEvent e = slice(chain ? chain->names(p) : node.name,
                           ev.backward ? "backward" : "forward", ev.start, ev.end, s);
      e.op = chain ? chain->ops(p) : node.op;
      e.impl = timed.nodeInfo(ev.node).impl;
      r.trace.push_back(std::move(e));
      int child = fusedChild[size_t(ev.node)];
      if (!ev.backward && child >= 0) {
        // The folded activation ran inside this call: an empty slice at
        // its end keeps one forward slice per node.
        const Node& c = p.graph().nodes[size_t(child)];
        TraceEvent f = slice(c.name, "forward", ev.end, ev.end, s);
        f.op = c.op;
        f.note = "fused into " + node.name;
        r.trace.push_back(std::move(f));
      }
    }
  }
  for (size_t k = 0; k < plainSteps.size(); ++k) {
    const int s = int(k) + 1;
    TraceEvent e = slice("step " + std::to_string(s), "uninstrumented", plainSteps[k].start,
                         plainSteps[k].end, s);
    e.tid = 2;
    e.note = std::to_string(batch) + " images";
    r.trace.push_back(std::move(e));
  }
  return r;
}

std::string traceJson(const ProfileReport& r) {
  std::string out;
  out.reserve(r.trace.size() * 160 + 512);
  out += "{\"traceEvents\":[\n";
  out += "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":1,\"args\":{\"name\":" +
         jsonString("tapeflow profile " + r.model) + "}},\n";
  const std::string kind = r.inference ? "inference" : "training";
  out += "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":1,\"args\":{\"name\":" +
         jsonString(kind + " steps, instrumented") + "}},\n";
  out += "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":2,\"args\":{\"name\":" +
         jsonString(kind + " steps, uninstrumented") + "}}";
  for (const TraceEvent& e : r.trace) {
    out += ",\n{\"name\":" + jsonString(e.name) + ",\"cat\":" + jsonString(e.cat) +
           ",\"ph\":\"X\",\"ts\":" + micros(e.ts) + ",\"dur\":" + micros(e.dur) +
           ",\"pid\":1,\"tid\":" + std::to_string(e.tid) +
           ",\"args\":{\"step\":" + std::to_string(e.step);
    if (!e.op.empty()) out += ",\"op\":" + jsonString(e.op);
    if (!e.op.empty()) out += ",\"impl\":" + jsonString(e.impl);
    if (!e.note.empty()) out += ",\"note\":" + jsonString(e.note);
    out += "}}";
  }
  out += "\n],\"displayTimeUnit\":\"ms\",\"otherData\":{\"model\":" + jsonString(r.model) +
         ",\"batch\":" + jsonString(std::to_string(r.batch)) +
         ",\"threads\":" + jsonString(std::to_string(r.threads)) +
         ",\"data\":" + jsonString(r.data) + "}}\n";
  return out;
}

void writeTrace(const ProfileReport& r, const std::string& path) {
  std::ofstream f(path, std::ios::binary);
  f << traceJson(r);
  if (!f.flush()) throw IoError({path, 0, 0}, "", "", "cannot write the trace file");
}

}  // namespace tapeflow
