// tools/analysis/profiler.cpp - timed steps on an instrumented and a plain
// plan, the per-node report, the sgemm peak and the Chrome trace.
#include "tools/analysis/profiler.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <oneapi/dnnl/dnnl.h>

#include "core/dnnl_context.h"
#include "core/param_store.h"
#include "core/plan.h"
#include "train/data/batch_loader.h"
#include "train/optimizer.h"

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

// The boundaries of one step: start, data copied, forward done, backward
// done, optimizer done (the last two equal the forward end in inference).
struct StepTimes {
  Clock::time_point start, data, forward, backward, end;
};

// Where a step's inputs come from: one random batch generated up front, or
// the BatchLoader over a data directory (endless: short last batches are
// skipped and the next epoch starts).
class DataSource {
 public:
  DataSource(const Program& p, const ProfileOptions& o, Mode mode) : batch_(o.batch) {
    if (o.dataDir.empty()) {
      randomInputs(p, o.solver.seed);
      return;
    }
    const SolverConfig& s = o.solver;
    int64_t classes = 10;
    if (p.predictionValue() >= 0 && !p.value(p.predictionValue()).dims.empty())
      classes = p.value(p.predictionValue()).dims.back();
    for (const auto& [name, what] : {std::pair{s.inputName, "image input"},
                                     std::pair{s.labelName, "label input"}}) {
      int v = p.findValue(name);
      if (v < 0 || p.value(v).kind != ValueKind::Input)
        throw UsageError(p.graph().loc, "", "",
                         "the graph has no input named '" + name + "' (the " + what +
                             " read from --data)");
    }
    data_ = std::make_unique<data::Dataset>(
        data::loadMnistDir(o.dataDir, "train", int(std::clamp<int64_t>(classes, 1, 256))));
    TransformConfig t;
    t.padTo = s.padTo;
    t.normalize = s.normalize;
    t.mean = s.mean;
    t.stddev = s.stddev;
    t.randomShift = mode == Mode::Training ? s.randomShift : 0;
    t.shuffle = mode == Mode::Training && s.shuffle;
    loader_ = std::make_unique<BatchLoader>(*data_, t, o.batch, s.seed);
    const Dims& want = p.value(p.findValue(s.inputName)).dims;
    if (want.size() != 4 || want[1] != 1 || want[2] != loader_->imageRows() ||
        want[3] != loader_->imageCols())
      throw DataError({data_->imagesPath, 0, 0}, "", "",
                      "images are " + std::to_string(loader_->imageRows()) + "x" +
                          std::to_string(loader_->imageCols()) +
                          " after padding, the model input '" + s.inputName +
                          "' expects " + dimsStr(want, true) + "; set pad_to in the solver");
    if (loader_->numSamples() < o.batch)
      throw UsageError({o.dataDir, 0, 0}, "", "",
                       "--batch " + std::to_string(o.batch) + " is larger than the " +
                           std::to_string(loader_->numSamples()) + " training images");
    imageName_ = s.inputName;
    labelName_ = s.labelName;
    loader_->start(epoch_, 0);
  }

  // Destination pointers of a plan's inputs, looked up once per plan.
  struct Binding {
    std::vector<void*> dst;
  };
  Binding bind(Plan& plan) const {
    Binding b;
    if (loader_) {
      b.dst = {plan.inputMemory(imageName_).get_data_handle(),
               plan.inputMemory(labelName_).get_data_handle()};
    } else {
      for (const auto& in : random_)
        b.dst.push_back(plan.inputMemory(in.name).get_data_handle());
    }
    return b;
  }

  // Copies the next batch into the bound inputs.
  void next(const Binding& b) {
    if (!loader_) {
      for (size_t i = 0; i < random_.size(); ++i)
        std::memcpy(b.dst[i], random_[i].bytes.data(), random_[i].bytes.size());
      return;
    }
    while (!loader_->next(&batchBuf_) || batchBuf_.size != batch_)
      loader_->start(++epoch_, 0);
    std::memcpy(b.dst[0], batchBuf_.images.data(), batchBuf_.images.size() * sizeof(float));
    std::memcpy(b.dst[1], batchBuf_.labels.data(),
                batchBuf_.labels.size() * sizeof(int32_t));
  }

 private:
  // Uniform [0, 1) images; labels uniform over the class count (the last
  // dim of the first input of the label's consumer, as gradcheck does).
  void randomInputs(const Program& p, uint64_t seed) {
    Rng rng(seed * 977 + 11);
    std::vector<Dims> dims = p.dimsAt(batch_);
    for (const InputDef& in : p.graph().inputs) {
      int v = p.findValue(in.name);
      int64_t n = numel(dims[v]);
      RandomInput r;
      r.name = in.name;
      r.bytes.resize(size_t(n) * 4);
      if (in.dtype == DType::F32) {
        std::vector<float> x(static_cast<size_t>(n));
        for (float& f : x) f = rng.uniform();
        std::memcpy(r.bytes.data(), x.data(), r.bytes.size());
      } else {
        int64_t classes = 2;
        for (auto [node, port] : p.value(v).consumers) {
          const Dims& d = p.value(p.nodeInputs(node)[0]).dims;
          if (!d.empty() && d.back() > 1) classes = d.back();
        }
        std::vector<int32_t> y(static_cast<size_t>(n));
        for (int32_t& k : y) k = int32_t(rng.next() % uint64_t(classes));
        std::memcpy(r.bytes.data(), y.data(), r.bytes.size());
      }
      random_.push_back(std::move(r));
    }
  }

  struct RandomInput {
    std::string name;
    std::vector<unsigned char> bytes;
  };
  int64_t batch_;
  std::vector<RandomInput> random_;
  std::unique_ptr<data::Dataset> data_;
  std::unique_ptr<BatchLoader> loader_;
  std::string imageName_, labelName_;
  Batch batchBuf_;
  int64_t epoch_ = 0;
};

// Runs `count` steps on a plan; with `times`, records each step's bounds.
// Training steps end with clipping and the optimizer update (constant
// learning rate: the schedule costs nothing worth timing).
void runSteps(Plan& plan, DataSource& data, ParamStore& store, Optimizer* opt,
              const SolverConfig& s, int count, uint64_t& step,
              std::vector<StepTimes>* times) {
  DataSource::Binding bind = data.bind(plan);
  for (int k = 0; k < count; ++k) {
    StepTimes t;
    t.start = Clock::now();
    data.next(bind);
    t.data = Clock::now();
    plan.setStep(step++);
    plan.forward();
    t.forward = t.backward = t.end = Clock::now();
    if (opt) {
      plan.backward();
      t.backward = Clock::now();
      clipGradNorm(store, s.clipNorm);
      opt->step(s.lr);
      t.end = Clock::now();
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
  if (o.batch < 1 || o.steps < 1 || o.warmup < 0)
    throw UsageError({}, "", "",
                     "--batch and --steps must be at least 1 and --warmup at least 0");
  const Mode mode = o.inference ? Mode::Inference : Mode::Training;
  if (mode == Mode::Training && p.lossValue() < 0)
    throw GraphError(p.graph().loc, "", "",
                     "the graph declares no loss; profile training needs one "
                     "(or use --inference)");

  ProfileReport r;
  r.model = name;
  r.batch = o.batch;
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
  po.batch = o.batch;
  if (mode == Mode::Training) {
    po.outputs = {p.value(p.lossValue()).name};
    if (p.predictionValue() >= 0) po.outputs.push_back(p.value(p.predictionValue()).name);
  } else if (p.predictionValue() >= 0) {
    po.outputs = {p.value(p.predictionValue()).name};
  }
  ParamStore store(program);
  store.initialize(o.solver.seed);
  std::unique_ptr<Optimizer> opt;
  if (mode == Mode::Training) opt = Optimizer::create(o.solver, store);
  DataSource data(p, o, mode);

  po.profile = true;
  Plan timed(program, store, po);
  timed.setSeed(o.solver.seed);
  po.profile = false;
  Plan plain(program, store, po);
  plain.setSeed(o.solver.seed);

  // Warm-up on both plans, then the timed steps of the two passes in
  // alternating blocks, so that a change in the machine's load during the
  // run affects both alike. Events go to a vector reserved once for every
  // timed call (a fused node runs no forward, so this is an upper bound).
  uint64_t step = 0;
  std::vector<StepTimes> timedSteps, plainSteps;
  timedSteps.reserve(size_t(o.steps));
  plainSteps.reserve(size_t(o.steps));
  std::vector<NodeEvent> events;
  events.reserve(size_t(o.steps) * timed.order().size() * 2);
  runSteps(timed, data, store, opt.get(), o.solver, o.warmup, step, nullptr);
  runSteps(plain, data, store, opt.get(), o.solver, o.warmup, step, nullptr);
  timed.resetStats();
  timed.setEventSink(&events);
  for (int done = 0; done < o.steps; done += kBlock) {
    const int n = std::min(kBlock, o.steps - done);
    runSteps(timed, data, store, opt.get(), o.solver, n, step, &timedSteps);
    runSteps(plain, data, store, opt.get(), o.solver, n, step, &plainSteps);
  }
  timed.setEventSink(nullptr);

  std::vector<double> total, dataMs, optMs, plainTotal;
  for (const StepTimes& t : timedSteps) {
    total.push_back(msBetween(t.start, t.end));
    dataMs.push_back(msBetween(t.start, t.data));
    optMs.push_back(msBetween(t.backward, t.end));
  }
  for (const StepTimes& t : plainSteps) plainTotal.push_back(msBetween(t.start, t.end));
  r.instrumentedMs = mean(total);
  r.instrumentedMedianMs = median(total);
  r.dataMs = mean(dataMs);
  r.optimizerMs = mean(optMs);
  r.uninstrumentedMs = mean(plainTotal);
  r.uninstrumentedMedianMs = median(plainTotal);
  r.overhead = r.uninstrumentedMedianMs > 0
                   ? r.instrumentedMedianMs / r.uninstrumentedMedianMs - 1
                   : 0;
  r.imagesPerSecond = r.uninstrumentedMs > 0 ? double(o.batch) / (r.uninstrumentedMs * 1e-3) : 0;

  if (o.peakSize > 0) {
    r.peakSize = o.peakSize;
    r.peakGflops = measurePeakGflops(o.peakSize, o.peakRuns);
  }

  // Per-node rows, in execution order.
  std::vector<int> fusedChild(size_t(p.numNodes()), -1);
  for (int n : timed.order())
    if (timed.fused(n)) fusedChild[size_t(timed.fusedInto(n))] = n;
  for (int n : timed.order()) {
    const Node& node = p.graph().nodes[size_t(n)];
    const NodeStats& st = timed.stats(n);
    NodeProfile np;
    np.node = n;
    np.name = node.name;
    np.op = node.op;
    np.forwardMs = st.forwardMs / o.steps;
    np.backwardMs = st.backwardMs / o.steps;
    np.backward = mode == Mode::Training && timed.runsBackward(n);
    np.forwardFlops = double(p.flopsPerSample(n)) * double(o.batch);
    np.backwardFlops = np.backward ? np.forwardFlops * (isMatrixOp(node.op) ? 2 : 1) : 0;
    np.fused = timed.fused(n);
    if (np.fused) np.fusedInto = p.graph().nodes[size_t(timed.fusedInto(n))].name;
    double ms = np.forwardMs + np.backwardMs;
    double flops = (np.fused ? 0 : np.forwardFlops) + np.backwardFlops;
    np.gflops = ms > 0 ? flops / (ms * 1e6) : 0;
    np.peakShare = r.peakGflops > 0 ? np.gflops / r.peakGflops : 0;
    np.share = r.instrumentedMs > 0 ? ms / r.instrumentedMs : 0;
    np.impl = timed.implInfo(n);
    np.reorders = st.reorders;
    r.nodesMs += ms;
    r.stepFlops += np.forwardFlops + np.backwardFlops;
    r.nodes.push_back(std::move(np));
  }
  for (int n = 0; n < p.numNodes(); ++n)
    if (!timed.active(n)) r.pruned.push_back(p.graph().nodes[size_t(n)].name);
  r.untimedMs = r.instrumentedMs - r.nodesMs - r.optimizerMs - r.dataMs;

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
    stepSlice.note = std::to_string(o.batch) + " images";
    r.trace.push_back(std::move(stepSlice));
    r.trace.push_back(slice("data", "data", t.start, t.data, s));
    r.trace.push_back(slice("forward", "pass", t.data, t.forward, s));
    if (mode == Mode::Training) {
      r.trace.push_back(slice("backward", "pass", t.forward, t.backward, s));
      r.trace.push_back(slice("optimizer", "optimizer", t.backward, t.end, s));
    }
    for (; next < events.size() && events[next].start <= t.end; ++next) {
      const NodeEvent& ev = events[next];
      const Node& node = p.graph().nodes[size_t(ev.node)];
      TraceEvent e = slice(node.name, ev.backward ? "backward" : "forward", ev.start,
                           ev.end, s);
      e.op = node.op;
      e.impl = timed.implInfo(ev.node);
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
    e.note = std::to_string(o.batch) + " images";
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
