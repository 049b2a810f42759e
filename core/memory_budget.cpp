// core/memory_budget.cpp - the estimate from shapes, /proc/meminfo and the
// cgroup files, --mem-limit's sizes, and the one-line refusal.
#include "core/memory_budget.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/program.h"

namespace tapeflow {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

int64_t add(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_add_overflow(a, b, &r) ? kMax : r;
}

int64_t mul(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_mul_overflow(a, b, &r) ? kMax : r;
}

// Bytes of a value with dims `d` (a leading -1 is the batch), 4 per element
// (f32 and i32 alike).
int64_t bytesOf(const Dims& d, int64_t batch) {
  int64_t n = 4;
  for (size_t i = 0; i < d.size(); ++i) n = mul(n, i == 0 && d[i] < 0 ? batch : d[i]);
  return n;
}

// The first number after `key` in `file` (one "key value" per line), or -1.
int64_t fieldOf(const std::string& file, const std::string& key) {
  std::ifstream in(file);
  std::string k;
  int64_t v;
  while (in >> k) {
    if (k == key && in >> v) return v;
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return -1;
}

// The number a file holds ("max" and unreadable files: -1).
int64_t numberIn(const std::string& file) {
  std::ifstream in(file);
  int64_t v;
  return in >> v ? v : -1;
}

// Room left under a cgroup limit: limit - usage + reclaimable page cache;
// -1 when there is no limit.
int64_t cgroupRoom(int64_t limit, int64_t usage, int64_t inactiveFile) {
  if (limit <= 0 || limit >= (int64_t{1} << 60) || usage < 0) return -1;
  return std::max<int64_t>(0, limit - usage + std::max<int64_t>(0, inactiveFile));
}

}  // namespace

int64_t MemoryEstimate::total() const {
  return add(add(add(params, grads), add(optimizerState, activations)), activationGrads);
}

MemoryEstimate estimateMemory(const Program& p, int64_t batch, bool training,
                              int optimizerStateCopies) {
  MemoryEstimate e;
  e.batch = batch;
  e.training = training;
  std::vector<MemoryItem> items;
  for (const ValueInfo& v : p.values()) {
    const int64_t b = bytesOf(v.dims, batch);
    if (v.kind == ValueKind::Param) {
      e.params = add(e.params, b);
      if (training && p.graph().params[v.owner].trainable) {
        e.grads = add(e.grads, b);
        e.optimizerState = add(e.optimizerState, mul(b, optimizerStateCopies));
      }
    } else {
      e.activations = add(e.activations, b);
      if (training && v.kind == ValueKind::NodeOutput && v.dtype == DType::F32)
        e.activationGrads = add(e.activationGrads, b);
    }
    items.push_back({v.name, v.kind == ValueKind::Param, b, v.loc});
  }
  const size_t keep = std::min<size_t>(3, items.size());
  std::partial_sort(items.begin(), items.begin() + keep, items.end(),
                    [](const MemoryItem& a, const MemoryItem& b) { return a.bytes > b.bytes; });
  e.largest.assign(items.begin(), items.begin() + keep);
  return e;
}

MemoryLimit availableMemory() {
  MemoryLimit m;
  const int64_t kb = fieldOf("/proc/meminfo", "MemAvailable:");
  if (kb >= 0) m = {mul(kb, 1024), "MemAvailable"};
  const std::string v2 = "/sys/fs/cgroup/", v1 = "/sys/fs/cgroup/memory/";
  int64_t room = cgroupRoom(numberIn(v2 + "memory.max"), numberIn(v2 + "memory.current"),
                            fieldOf(v2 + "memory.stat", "inactive_file"));
  std::string source = "cgroup memory.max";
  if (room < 0) {
    room = cgroupRoom(numberIn(v1 + "memory.limit_in_bytes"),
                      numberIn(v1 + "memory.usage_in_bytes"),
                      fieldOf(v1 + "memory.stat", "total_inactive_file"));
    source = "cgroup memory.limit_in_bytes";
  }
  if (room >= 0 && (m.bytes < 0 || room < m.bytes)) m = {room, source};
  return m;
}

MemoryLimit memoryLimit(const std::string& text, const std::string& flag) {
  if (text.empty()) return availableMemory();
  auto bad = [&]() -> MemoryLimit {
    throw UsageError({}, "", "",
                     flag + " expects a size such as 512M, 2G or 1.5G (K, M, G, T, P: powers "
                            "of 1024; a plain number is bytes), found '" + text + "'");
  };
  size_t end = 0;
  double v = 0;
  try {
    v = std::stod(text, &end);
  } catch (const std::exception&) {
    return bad();
  }
  std::string unit = text.substr(end);
  for (char& c : unit) c = char(std::toupper(static_cast<unsigned char>(c)));
  if (unit.size() >= 2 && unit.substr(unit.size() - 2) == "IB") unit.resize(unit.size() - 2);
  else if (!unit.empty() && unit.back() == 'B') unit.pop_back();
  const std::string units = "KMGTP";
  double scale = 1;
  if (unit.size() == 1 && units.find(unit[0]) != std::string::npos)
    scale = std::pow(1024.0, double(units.find(unit[0]) + 1));
  else if (!unit.empty())
    return bad();
  if (!std::isfinite(v) || v * scale < 1 || v * scale > 9.2e18 || !std::isdigit(text[0]))
    return bad();
  return {int64_t(v * scale), flag};
}

std::string formatBytes(int64_t b) {
  if (b == kMax) return "more than 8 EiB";
  const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (b < 1024) return std::to_string(b) + " B";
  double v = double(b) / 1024;
  int u = 0;
  while (v >= 1024 && u < 5) v /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

std::string describeParts(const MemoryEstimate& e) {
  std::string s;
  auto part = [&](const char* name, int64_t b) {
    if (b > 0) s += (s.empty() ? "" : ", ") + std::string(name) + " " + formatBytes(b);
  };
  part("parameters", e.params);
  part("gradients", e.grads);
  part("optimizer state", e.optimizerState);
  part("activations", e.activations);
  if (e.activationGrads > 0) s += " (+ " + formatBytes(e.activationGrads) + " of their gradients)";
  return s;
}

void checkMemoryBudget(const MemoryEstimate& e, const MemoryLimit& limit,
                       const std::string& what, const std::string& modelFile) {
  const int64_t total = e.total();
  if (limit.bytes < 0 || total <= limit.bytes) return;
  std::string largest;
  for (const MemoryItem& i : e.largest)
    largest += (largest.empty() ? "" : ", ") + std::string(i.isParam ? "param '" : "'") +
               i.name + "' " + formatBytes(i.bytes);
  // What to change: the batch when the activations alone would not fit
  // or are the larger share, else the largest parameter.
  const int64_t perBatch = add(e.activations, e.activationGrads);
  const int64_t fixed = total - perBatch;
  std::string advice;
  if (fixed < limit.bytes && perBatch >= fixed && e.batch > 1) {
    const int64_t fits = (limit.bytes - fixed) / std::max<int64_t>(1, perBatch / e.batch);
    advice = "lower --batch (at most about " + std::to_string(std::max<int64_t>(1, fits)) +
             " would fit)";
  } else {
    const MemoryItem* param = nullptr;
    for (const MemoryItem& i : e.largest)
      if (i.isParam && !param) param = &i;
    advice = param ? "make param '" + param->name + "' smaller" : "use a smaller model";
  }
  SourceLoc loc{modelFile, 0, 0};
  if (!e.largest.empty() && e.largest[0].loc.line > 0) loc = e.largest[0].loc;
  const bool fromFlag = limit.source.rfind("--", 0) == 0;
  throw IoError(loc, "", "",
                what + " at batch " + std::to_string(e.batch) + " needs an estimated " +
                    formatBytes(total) + " (" + describeParts(e) + "), more than the " +
                    formatBytes(limit.bytes) +
                    (fromFlag ? " of " + limit.source : " available (" + limit.source + ")") +
                    "; largest: " + largest + "; " + advice +
                    (fromFlag ? " or raise " + limit.source : " or set --mem-limit"));
}

}  // namespace tapeflow
