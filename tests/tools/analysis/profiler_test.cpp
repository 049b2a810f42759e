// tests/tools/analysis/profiler_test.cpp - `tapeflow profile`'s library part: every
// active node is reported with sane times, the timed parts add up to the
// measured step, the uninstrumented pass runs, and the Chrome trace is valid
// JSON with one slice per node per step nested in its step slice.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "core/dnnl_context.h"
#include "core/param_store.h"
#include "frontends/cpp/api_internal.h"
#include "frontends/pbtxt/pbtxt_loader.h"
#include "tools/analysis/profiler.h"
#include "ops/registry.h"
#include "tests/support/tree_paths.h"

namespace tapeflow {
namespace {

namespace fs = std::filesystem;

// ------------------------------------------------ a minimal JSON parser

struct Json {
  enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
  bool b = false;
  double num = 0;
  std::string str;
  std::vector<Json> items;
  std::map<std::string, Json> fields;
  const Json& at(const std::string& k) const { return fields.at(k); }
  bool has(const std::string& k) const { return fields.count(k) > 0; }
};

// Recursive descent over RFC 8259 JSON; throws std::runtime_error with the
// offset of the first syntax error.
class JsonParser {
 public:
  explicit JsonParser(const std::string& s) : s_(s) {}
  Json parseDocument() {
    Json v = value();
    space();
    if (i_ != s_.size()) fail("trailing characters");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error("JSON error at offset " + std::to_string(i_) + ": " + what);
  }
  void space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' ||
                              s_[i_] == '\t'))
      ++i_;
  }
  bool eat(char c) {
    space();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!eat(c)) fail(std::string("expected '") + c + "'");
  }
  bool literal(const char* word) {
    size_t n = std::char_traits<char>::length(word);
    if (s_.compare(i_, n, word) != 0) return false;
    i_ += n;
    return true;
  }
  Json value() {
    space();
    if (i_ >= s_.size()) fail("unexpected end");
    Json v;
    char c = s_[i_];
    if (c == '{') {
      ++i_;
      v.kind = Json::Object;
      if (eat('}')) return v;
      do {
        space();
        std::string key = string();
        expect(':');
        if (v.fields.count(key)) fail("duplicate key '" + key + "'");
        v.fields[key] = value();
      } while (eat(','));
      expect('}');
    } else if (c == '[') {
      ++i_;
      v.kind = Json::Array;
      if (eat(']')) return v;
      do v.items.push_back(value());
      while (eat(','));
      expect(']');
    } else if (c == '"') {
      v.kind = Json::String;
      v.str = string();
    } else if (literal("true")) {
      v.kind = Json::Bool;
      v.b = true;
    } else if (literal("false")) {
      v.kind = Json::Bool;
    } else if (literal("null")) {
      v.kind = Json::Null;
    } else {
      v.kind = Json::Number;
      v.num = number();
    }
    return v;
  }
  std::string string() {
    if (i_ >= s_.size() || s_[i_] != '"') fail("expected a string");
    ++i_;
    std::string out;
    while (true) {
      if (i_ >= s_.size()) fail("unterminated string");
      char c = s_[i_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) fail("unterminated escape");
      char e = s_[i_++];
      if (e == 'u') {
        for (int k = 0; k < 4; ++k)
          if (i_ >= s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[i_++])))
            fail("bad \\u escape");
        out += '?';
      } else if (std::string("\"\\/bfnrt").find(e) != std::string::npos) {
        out += e;
      } else {
        fail("bad escape");
      }
    }
  }
  double number() {
    size_t start = i_;
    auto digits = [&] {
      size_t d = i_;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
      return i_ > d;
    };
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    if (i_ < s_.size() && s_[i_] == '0') {
      ++i_;
    } else if (!digits()) {
      fail("expected a value");
    }
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (!digits()) fail("expected digits after '.'");
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (!digits()) fail("expected exponent digits");
    }
    return std::stod(s_.substr(start, i_ - start));
  }

  const std::string& s_;
  size_t i_ = 0;
};

Json parseJson(const std::string& s) { return JsonParser(s).parseDocument(); }

TEST(JsonParserTest, AcceptsValidAndRejectsInvalidJson) {
  Json v = parseJson(R"({"a": [1, -2.5e3, true, null, "x\"y"], "b": {}})");
  EXPECT_EQ(v.at("a").items.size(), 5u);
  EXPECT_DOUBLE_EQ(v.at("a").items[1].num, -2500);
  EXPECT_EQ(v.at("a").items[4].str, "x\"y");
  for (const char* bad : {"{", "[1,]", "{\"a\":1,}", "{'a':1}", "[01]", "[1] x", "\"\t\""})
    EXPECT_THROW(parseJson(bad), std::runtime_error) << bad;
}

// ------------------------------------------------ the model

// conv (+ folded ReLU) -> max pool -> flatten -> linear -> softmax CE, and
// an accuracy metric that training does not run.
std::shared_ptr<const Program> smallModel() {
  GraphBuilder b("small");
  b.input("image", {-1, 1, 16, 16});
  b.input("label", {-1}, DType::I32);
  b.param("conv1.w", {8, 1, 5, 5}, "he_uniform");
  b.param("conv1.b", {8}, "zeros");
  b.param("fc.w", {10, 512}, "xavier_uniform");
  b.param("fc.b", {10}, "zeros");
  b.node("Conv2D", {"image", "conv1.w", "conv1.b"}, {{"padding", std::string("SAME")}},
         "conv1");
  b.node("Relu", {"conv1"}, {}, "relu1");
  b.node("MaxPool", {"relu1"}, {{"kernel", std::vector<int64_t>{2, 2}}}, "pool1");
  b.node("Flatten", {"pool1"}, {}, "flat");
  Value logits = b.node("Linear", {"flat", "fc.w", "fc.b"}, {}, "fc");
  b.loss(b.node("SoftmaxCrossEntropy", {logits, "label"}, {}, "loss"));
  b.output(b.node("Accuracy", {logits, "label"}, {}, "accuracy"));
  b.prediction(logits);
  return Program::build(graphOf(b), ops::registry());
}

ProfileOptions smallOptions() {
  ProfileOptions o;
  o.solver.batchSize = 32;
  o.steps = 6;
  o.warmup = 2;
  o.peakSize = 256;
  o.peakRuns = 2;
  return o;
}

const TraceEvent* findStep(const ProfileReport& r, int step) {
  for (const TraceEvent& e : r.trace)
    if (e.cat == "step" && e.step == step) return &e;
  return nullptr;
}

// The trace, parsed back from JSON: one forward slice per node per timed
// step (and one backward slice per backward node), each inside its step.
void checkTrace(const ProfileReport& r) {
  Json doc;
  ASSERT_NO_THROW(doc = parseJson(traceJson(r)));
  ASSERT_EQ(doc.kind, Json::Object);
  ASSERT_TRUE(doc.has("traceEvents"));
  const Json& events = doc.at("traceEvents");
  ASSERT_EQ(events.kind, Json::Array);
  struct Slice {
    double ts, dur;
  };
  std::map<int, Slice> steps, plainSteps;
  std::map<std::pair<std::string, std::string>, std::map<int, std::vector<Slice>>> slices;
  for (const Json& e : events.items) {
    ASSERT_EQ(e.kind, Json::Object);
    for (const char* k : {"name", "ph", "pid", "tid"}) ASSERT_TRUE(e.has(k)) << k;
    if (e.at("ph").str == "M") continue;
    ASSERT_EQ(e.at("ph").str, "X");
    for (const char* k : {"cat", "ts", "dur", "args"}) ASSERT_TRUE(e.has(k)) << k;
    ASSERT_EQ(e.at("ts").kind, Json::Number);
    ASSERT_GE(e.at("dur").num, 0);
    int step = int(e.at("args").at("step").num);
    Slice s{e.at("ts").num, e.at("dur").num};
    const std::string& cat = e.at("cat").str;
    const int tid = int(e.at("tid").num);
    if (cat == "step" || cat == "uninstrumented") {
      EXPECT_EQ(e.at("name").str, "step " + std::to_string(step));
      EXPECT_EQ(tid, cat == "step" ? 1 : 2);
      EXPECT_TRUE((cat == "step" ? steps : plainSteps).emplace(step, s).second);
    } else {
      EXPECT_EQ(tid, 1);
      slices[{cat, e.at("name").str}][step].push_back(s);
      if (cat == "forward" || cat == "backward") {
        EXPECT_TRUE(e.at("args").has("op"));
        EXPECT_TRUE(e.at("args").has("impl"));
      }
    }
  }
  ASSERT_EQ(int(steps.size()), r.steps);
  ASSERT_EQ(int(plainSteps.size()), r.steps);
  for (int k = 1; k <= r.steps; ++k) ASSERT_TRUE(steps.count(k)) << k;
  const double eps = 0.002;  // ts and dur are printed to 0.001 us
  auto inside = [&](const Slice& s, int step) {
    const Slice& p = steps.at(step);
    return s.ts >= p.ts - eps && s.ts + s.dur <= p.ts + p.dur + eps;
  };
  for (const NodeProfile& n : r.nodes) {
    const auto& fwd = slices[{"forward", n.name}];
    const auto& bwd = slices[{"backward", n.name}];
    ASSERT_EQ(int(fwd.size()), r.steps) << n.name;
    EXPECT_EQ(int(bwd.size()), n.backward ? r.steps : 0) << n.name;
    for (const auto* m : {&fwd, &bwd})
      for (const auto& [step, list] : *m) {
        ASSERT_EQ(list.size(), 1u) << n.name << " step " << step;
        EXPECT_TRUE(inside(list[0], step)) << n.name << " step " << step;
      }
  }
  for (const char* part : r.inference ? std::vector<const char*>{"data"}
                                      : std::vector<const char*>{"data", "optimizer"}) {
    const auto& m = slices[{part, part}];
    ASSERT_EQ(int(m.size()), r.steps) << part;
    for (const auto& [step, list] : m) EXPECT_TRUE(inside(list.at(0), step)) << part;
  }
  // Steps follow each other without overlapping, the two passes in
  // alternating blocks.
  std::vector<Slice> all;
  for (const auto* m : {&steps, &plainSteps})
    for (const auto& [step, slice] : *m) all.push_back(slice);
  std::sort(all.begin(), all.end(), [](const Slice& a, const Slice& b) { return a.ts < b.ts; });
  for (size_t k = 1; k < all.size(); ++k)
    EXPECT_GE(all[k].ts, all[k - 1].ts + all[k - 1].dur - eps);
  if (r.steps > 5) {
    EXPECT_LT(plainSteps.at(1).ts, steps.at(6).ts);
  }
}

// The timed parts (node calls, data, optimizer) are disjoint intervals
// inside the step, so their sum can never exceed the measured step; what is
// left ("untimed": the tape walk, loop and clock reads between them) must
// be small. A preemption by another process that lands between two timed
// parts inflates one step's untimed time, so the 5% bound is checked on the
// median step (per-step sums come from the trace) rather than on the mean.
void checkSums(const ProfileReport& r) {
  double nodes = 0;
  for (const NodeProfile& n : r.nodes) nodes += n.forwardMs + n.backwardMs;
  EXPECT_NEAR(nodes, r.nodesMs, 1e-9 * r.instrumentedMs);
  const double parts = r.nodesMs + r.optimizerMs + r.dataMs;
  EXPECT_GT(r.instrumentedMs, 0);
  EXPECT_LE(parts, r.instrumentedMs * (1 + 1e-9));
  EXPECT_NEAR(r.untimedMs, r.instrumentedMs - parts, 1e-9 * r.instrumentedMs);

  std::vector<double> stepUs(size_t(r.steps), 0), partsUs(size_t(r.steps), 0);
  double totalUs = 0;
  for (const TraceEvent& e : r.trace) {
    ASSERT_GE(e.step, 1);
    ASSERT_LE(e.step, r.steps);
    size_t k = size_t(e.step - 1);
    if (e.cat == "step") {
      stepUs[k] = e.dur;
      totalUs += e.dur;
    } else if (e.cat == "forward" || e.cat == "backward" || e.cat == "data" ||
               e.cat == "optimizer") {
      partsUs[k] += e.dur;
    }
  }
  // The trace holds the same intervals the means are made of.
  EXPECT_NEAR(totalUs / r.steps * 1e-3, r.instrumentedMs, 1e-6 * r.instrumentedMs);
  std::vector<double> coverage;
  for (int k = 0; k < r.steps; ++k) {
    EXPECT_LE(partsUs[size_t(k)], stepUs[size_t(k)] * (1 + 1e-9)) << "step " << k + 1;
    coverage.push_back(partsUs[size_t(k)] / stepUs[size_t(k)]);
  }
  std::sort(coverage.begin(), coverage.end());
  EXPECT_GE(coverage[coverage.size() / 2], 0.95)
      << "median step: timed parts cover only " << coverage[coverage.size() / 2]
      << " of the step (mean: untimed " << r.untimedMs << " ms of " << r.instrumentedMs
      << " ms)";

  EXPECT_GT(r.uninstrumentedMs, 0);
  EXPECT_GT(r.uninstrumentedMedianMs, 0);
  EXPECT_TRUE(std::isfinite(r.overhead));
  EXPECT_NEAR(r.overhead, r.instrumentedMedianMs / r.uninstrumentedMedianMs - 1, 1e-12);
  EXPECT_GT(r.imagesPerSecond, 0);
}

TEST(ProfilerTest, TrainingReportsEveryActiveNodeAndAddsUp) {
  ProfileReport r = profileModel(smallModel(), smallOptions(), "small");
  std::vector<std::string> names;
  for (const NodeProfile& n : r.nodes) names.push_back(n.name);
  EXPECT_EQ(names, (std::vector<std::string>{"conv1", "relu1", "pool1", "flat", "fc", "loss"}));
  EXPECT_EQ(r.pruned, (std::vector<std::string>{"accuracy"}));
  EXPECT_EQ(r.steps, 6);
  EXPECT_EQ(r.optimizer, "sgd");
  ASSERT_GT(r.peakGflops, 0);
  for (const NodeProfile& n : r.nodes) {
    EXPECT_GE(n.forwardMs, 0) << n.name;
    EXPECT_GE(n.backwardMs, 0) << n.name;
    EXPECT_GE(n.gflops, 0) << n.name;
    EXPECT_NEAR(n.peakShare, n.gflops / r.peakGflops, 1e-12) << n.name;
    EXPECT_NEAR(n.share, (n.forwardMs + n.backwardMs) / r.instrumentedMs, 1e-12);
  }
  const NodeProfile& conv = r.nodes[0];
  const NodeProfile& relu = r.nodes[1];
  EXPECT_GT(conv.forwardMs, 0);
  EXPECT_GT(conv.backwardMs, 0);
  EXPECT_NE(conv.impl.find("fwd="), std::string::npos) << conv.impl;
  // Per output 2 * 25 multiply-adds and the bias, 8 * 16 * 16 outputs per
  // sample, batch 32; backward twice the forward.
  EXPECT_DOUBLE_EQ(conv.forwardFlops, (2.0 * 25 + 1) * 8 * 256 * 32);
  EXPECT_DOUBLE_EQ(conv.backwardFlops, 2 * conv.forwardFlops);
  EXPECT_GT(conv.gflops, 0);
  // The ReLU runs inside the convolution's forward: not timed on its own.
  EXPECT_TRUE(relu.fused);
  EXPECT_EQ(relu.fusedInto, "conv1");
  EXPECT_EQ(relu.forwardMs, 0);
  EXPECT_TRUE(relu.backward);
  EXPECT_FALSE(r.nodes[3].fused);
  EXPECT_GT(r.optimizerMs, 0);
  // Memory: the plan's buffers, and params + grads of the arena.
  EXPECT_GT(r.planBytes, 0);
  EXPECT_GE(r.arenaBytes, 2 * 4 * (8 * 25 + 8));  // at least conv1's w and b
  int reorders = 0;
  for (const NodeProfile& n : r.nodes) reorders += n.reorders;
  EXPECT_EQ(r.reorders, reorders);
  checkSums(r);
  checkTrace(r);
}

TEST(ProfilerTest, InferenceRunsForwardOnly) {
  ProfileOptions o = smallOptions();
  o.inference = true;
  o.peakSize = 0;
  ProfileReport r = profileModel(smallModel(), o, "small");
  std::vector<std::string> names;
  for (const NodeProfile& n : r.nodes) {
    names.push_back(n.name);
    EXPECT_FALSE(n.backward);
    EXPECT_EQ(n.backwardMs, 0);
    EXPECT_EQ(n.backwardFlops, 0);
    EXPECT_EQ(n.peakShare, 0);
  }
  // Only the prediction is computed: no loss, no metric.
  EXPECT_EQ(names, (std::vector<std::string>{"conv1", "relu1", "pool1", "flat", "fc"}));
  EXPECT_EQ(r.optimizerMs, 0);
  EXPECT_EQ(r.peakGflops, 0);
  EXPECT_TRUE(r.optimizer.empty());
  checkSums(r);
  checkTrace(r);
  for (const TraceEvent& e : r.trace) EXPECT_NE(e.cat, "backward");
}

void writeBE32(std::ofstream& f, uint32_t v) {
  unsigned char b[4] = {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
  f.write(reinterpret_cast<char*>(b), 4);
}

// Real batches from a directory: 40 images of 12x12 padded to 16x16, so a
// batch of 16 leaves a short last batch that the profiler skips, starting
// the next epoch.
TEST(ProfilerTest, ReadsBatchesFromADataDirectory) {
  fs::path dir = fs::path(::testing::TempDir()) /
                 ("profiler_test_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    std::ofstream img(dir / "train-images-idx3-ubyte", std::ios::binary);
    std::ofstream lab(dir / "train-labels-idx1-ubyte", std::ios::binary);
    writeBE32(img, 2051);
    writeBE32(img, 40);
    writeBE32(img, 12);
    writeBE32(img, 12);
    writeBE32(lab, 2049);
    writeBE32(lab, 40);
    Rng rng(3);
    for (int i = 0; i < 40; ++i) {
      lab.put(char(i % 10));
      for (int k = 0; k < 144; ++k) img.put(char(uint8_t(rng.next() % 256)));
    }
  }
  ProfileOptions o = smallOptions();
  o.solver.batchSize = 16;
  o.steps = 5;  // 2 full batches per epoch: crosses two epoch boundaries
  o.peakSize = 0;
  o.dataDir = dir.string();
  o.solver.padTo = 16;
  ProfileReport r = profileModel(smallModel(), o, "small");
  EXPECT_EQ(r.data, dir.string());
  EXPECT_GT(r.dataMs, 0);
  checkSums(r);
  checkTrace(r);

  o.solver.padTo = 0;  // 12x12 does not fit the 16x16 input
  EXPECT_THROW(profileModel(smallModel(), o, "small"), DataError);
  fs::remove_all(dir);
}

TEST(ProfilerTest, WritesTheTraceFile) {
  ProfileOptions o = smallOptions();
  o.steps = 2;
  o.warmup = 0;
  o.peakSize = 0;
  ProfileReport r = profileModel(smallModel(), o, "sm\"all");
  fs::path path = fs::path(::testing::TempDir()) /
                  ("profiler_trace_" + std::to_string(getpid()) + ".json");
  writeTrace(r, path.string());
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_EQ(ss.str(), traceJson(r));
  Json doc = parseJson(ss.str());
  EXPECT_EQ(doc.at("otherData").at("model").str, "sm\"all");
  ASSERT_NE(findStep(r, 2), nullptr);
  fs::remove(path);
  EXPECT_THROW(writeTrace(r, (path / "no" / "such" / "dir.json").string()), IoError);
}

TEST(ProfilerTest, RejectsBadOptions) {
  ProfileOptions o = smallOptions();
  o.steps = 0;
  EXPECT_THROW(profileModel(smallModel(), o, "small"), UsageError);
  GraphBuilder b("noloss");
  b.input("x", {-1, 4});
  b.param("w", {3, 4}, "xavier_uniform");
  b.output(b.node("Linear", {"x", "w"}, {}, "fc"));
  auto p = Program::build(graphOf(b), ops::registry());
  EXPECT_THROW(profileModel(p, smallOptions(), "noloss"), GraphError);
  ProfileOptions inf = smallOptions();
  inf.inference = true;
  inf.peakSize = 0;
  EXPECT_EQ(profileModel(p, inf, "noloss").nodes.size(), 1u);
}

// LeNet-5's subsampling chains are one row each, named after their nodes;
// with fusion off every node has its own row.
TEST(ProfilerTest, FusedChainsAreOneRow) {
  auto p = Program::build(
      loadGraphFile(tapeflow::paths::sourceDir() + "/models/lenet5.pbtxt"),
      ops::registry());
  ProfileOptions o = smallOptions();
  o.steps = 1;
  o.warmup = 0;
  o.peakSize = 0;
  auto rows = [&](bool fuse) {
    o.fuse = fuse;
    std::map<std::string, std::string> out;
    for (const NodeProfile& n : profileModel(p, o, "lenet5").nodes) out[n.name] = n.op;
    return out;
  };
  std::map<std::string, std::string> fused = rows(true), plain = rows(false);
  EXPECT_EQ(fused["s2.scale+s2.shift+s2.sigmoid"], "Mul+Add+Sigmoid");
  EXPECT_EQ(fused["s4.scale+s4.shift+s4.sigmoid"], "Mul+Add+Sigmoid");
  EXPECT_EQ(fused.count("s2.sigmoid"), 0u);
  EXPECT_EQ(plain.count("s2.scale+s2.shift+s2.sigmoid"), 0u);
  EXPECT_EQ(plain["s2.sigmoid"], "Sigmoid");
  EXPECT_EQ(plain.size(), fused.size() + 4);  // two chains of three nodes
}

// A tiny node (the loss on [32,10]) runs on one thread, the convolution
// on the whole team.
TEST(ProfilerTest, ReportsEachNodesThreads) {
  const int saved = numThreads();
  setNumThreads(2);
  ProfileOptions o = smallOptions();
  o.steps = 1;
  o.warmup = 0;
  o.peakSize = 0;
  ProfileReport r = profileModel(smallModel(), o, "small");
  setNumThreads(saved);
  ASSERT_EQ(r.nodes.size(), 6u);
  EXPECT_EQ(r.nodes.front().name, "conv1");
  EXPECT_EQ(r.nodes.front().threads, 2);
  EXPECT_EQ(r.nodes.back().name, "loss");
  EXPECT_EQ(r.nodes.back().threads, 1);
}

TEST(ProfilerTest, MeasuresAPeak) { EXPECT_GT(measurePeakGflops(128, 1), 0); }

}  // namespace
}  // namespace tapeflow
