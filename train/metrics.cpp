// train/metrics.cpp - metrics.jsonl writing and reading. The plot
// is in curves.cpp.
#include "train/metrics.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>

#include "core/atomic_file.h"
#include "core/error.h"

namespace tapeflow {
namespace {

double steadySeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

[[noreturn]] void ioError(const std::string& path, const std::string& what,
                          int err) {
  throw IoError(SourceLoc{path, 0, 0}, "", "", what + ": " + std::strerror(err));
}

/// A JSON number with 9 significant digits, or null when not finite.
std::string jsonNumber(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general,
                         9);
  return std::string(buf, r.ptr);
}

std::string field(const char* key, const std::string& value) {
  return std::string(",\"") + key + "\":" + value;
}

/// Writes all of data to fd; returns errno on failure, 0 on success.
int writeAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
  return 0;
}

/// The text of a whole file, or nullopt when it does not exist.
std::optional<std::string> readText(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    ioError(path, "cannot open", errno);
  }
  std::string text;
  char buf[1 << 16];
  for (;;) {
    ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int err = errno;
      ::close(fd);
      ioError(path, "read failed", err);
    }
    if (r == 0) break;
    text.append(buf, static_cast<size_t>(r));
  }
  ::close(fd);
  return text;
}

/// The "step" value of a record line, if it has one.
std::optional<int64_t> stepOf(const std::string& line) {
  size_t k = line.find("\"step\":");
  if (k == std::string::npos) return std::nullopt;
  const char* b = line.data() + k + 7;
  int64_t v = 0;
  auto r = std::from_chars(b, line.data() + line.size(), v);
  if (r.ec != std::errc()) return std::nullopt;
  return v;
}

// ---- a minimal parser for our flat JSON records --------------------------

class LineParser {
 public:
  LineParser(const std::string& text, const std::string& path, int line)
      : s_(text), path_(path), line_(line) {}

  /// Parses {"key":value,...} with string, number, null and bool values;
  /// numbers go to `numbers` (null as NaN), strings to `strings`.
  void parse(std::map<std::string, double>& numbers,
             std::map<std::string, std::string>& strings,
             const std::string& prefix = "") {
    expect('{');
    skipSpace();
    if (peek() == '}') {
      ++pos_;
      if (prefix.empty()) end();
      return;
    }
    for (;;) {
      skipSpace();
      std::string key = prefix + str();
      skipSpace();
      expect(':');
      skipSpace();
      char c = peek();
      if (c == '{' && prefix.empty()) {
        parseNested(numbers, strings, key + ".");
      } else if (c == '"') {
        strings[key] = str();
      } else if (literal("null")) {
        numbers[key] = NAN;
      } else if (literal("true")) {
        numbers[key] = 1;
      } else if (literal("false")) {
        numbers[key] = 0;
      } else {
        numbers[key] = number();
      }
      skipSpace();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      expect('}');
      if (prefix.empty()) end();
      return;
    }
  }

 private:
  /// A nested object of one level ("outputs"): its keys become prefix+key.
  void parseNested(std::map<std::string, double>& numbers,
                   std::map<std::string, std::string>& strings,
                   const std::string& prefix) {
    parse(numbers, strings, prefix);
  }

  [[noreturn]] void fail(const std::string& expected) const {
    std::string found = pos_ >= s_.size()
                            ? std::string("end of line")
                            : "'" + std::string(1, s_[pos_]) + "'";
    throw DataError(SourceLoc{path_, line_, static_cast<int>(pos_) + 1}, "",
                    "", "malformed metrics record: expected " + expected +
                            ", found " + found);
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("'") + c + "'");
    ++pos_;
  }
  void end() {
    skipSpace();
    if (pos_ != s_.size()) fail("end of line");
  }
  bool literal(const char* word) {
    size_t n = std::strlen(word);
    if (s_.compare(pos_, n, word) != 0) return false;
    pos_ += n;
    return true;
  }
  std::string str() {
    expect('"');
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      if (s_[pos_] == '\\') {
        if (++pos_ >= s_.size()) fail("an escaped character");
      }
      out += s_[pos_++];
    }
    expect('"');
    return out;
  }
  double number() {
    double v = 0;
    const char* b = s_.data() + pos_;
    auto r = std::from_chars(b, s_.data() + s_.size(), v);
    if (r.ec != std::errc() || r.ptr == b) fail("a value");
    pos_ += static_cast<size_t>(r.ptr - b);
    return v;
  }

  const std::string& s_;
  const std::string& path_;
  int line_;
  size_t pos_ = 0;
};

double get(const std::map<std::string, double>& m, const char* key) {
  auto it = m.find(key);
  return it == m.end() ? NAN : it->second;
}

}  // namespace

/// ,"key":{"name":value,...} for named outputs; "" when there are none.
std::string outputsField(const char* key, const MetricPoint& p) {
  if (p.outputs.empty()) return "";
  std::string obj;
  for (const auto& [name, v] : p.outputs)
    obj += (obj.empty() ? "\"" : ",\"") + name + "\":" + jsonNumber(v);
  return field(key, "{" + obj + "}");
}

std::string trainRecordJson(const MetricPoint& p) {
  return "{\"kind\":\"train\"" + field("step", std::to_string(p.step)) +
         field("epoch", jsonNumber(p.epoch)) +
         field("loss", jsonNumber(p.loss)) +
         field("accuracy", jsonNumber(p.accuracy)) +
         field("lr", jsonNumber(p.lr)) +
         field("images_per_sec", jsonNumber(p.imagesPerSecond)) +
         field("wall_time", jsonNumber(p.wallTime)) + outputsField("outputs", p) + "}";
}

std::string evalRecordJson(const MetricPoint& p, double testAccuracy,
                           double testLoss) {
  return "{\"kind\":\"eval\"" + field("step", std::to_string(p.step)) +
         field("epoch", jsonNumber(p.epoch)) +
         field("wall_time", jsonNumber(p.wallTime)) +
         field("test_accuracy", jsonNumber(testAccuracy)) +
         field("test_loss", jsonNumber(testLoss)) + outputsField("test_outputs", p) + "}";
}

MetricsLog::MetricsLog(const std::string& path, int64_t keepUpToStep)
    : path_(path), openedAt_(steadySeconds()) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) ioError(path, "cannot create directory " + parent.string(),
                    ec.value());
  }
  if (std::optional<std::string> text = readText(path)) {
    // Keep complete lines only, and with keepUpToStep only those at or
    // before that step.
    std::string kept;
    size_t start = 0;
    bool changed = false;
    while (start < text->size()) {
      size_t nl = text->find('\n', start);
      if (nl == std::string::npos) {  // torn last line
        changed = true;
        break;
      }
      std::string line = text->substr(start, nl - start);
      std::optional<int64_t> step = stepOf(line);
      if (keepUpToStep >= 0 && step && *step > keepUpToStep) {
        changed = true;
      } else {
        kept += line + "\n";
      }
      start = nl + 1;
    }
    if (changed) writeFileAtomically(path, kept);
  }
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) ioError(path, "cannot open for appending", errno);
}

MetricsLog::~MetricsLog() {
  if (fd_ >= 0) ::close(fd_);
}

void MetricsLog::append(const std::string& line) {
  std::string text = line + "\n";
  if (int err = writeAll(fd_, text.data(), text.size())) {
    ioError(path_, "cannot append a metrics record", err);
  }
}

void MetricsLog::logTrain(const MetricPoint& p) {
  append(trainRecordJson(p));
  if (std::isfinite(p.wallTime)) {
    lastTrainWall_ = p.wallTime;
    lastTrainAt_ = steadySeconds();
  }
}

void MetricsLog::logEval(const MetricPoint& p, double testAccuracy,
                         double testLoss) {
  MetricPoint q = p;
  if (!std::isfinite(q.wallTime)) {
    const double now = steadySeconds();
    q.wallTime = std::isfinite(lastTrainWall_) ? lastTrainWall_ + (now - lastTrainAt_)
                                               : now - openedAt_;
  }
  append(evalRecordJson(q, testAccuracy, testLoss));
}

void MetricsLog::sync() {
  if (::fsync(fd_) != 0) ioError(path_, "cannot sync", errno);
}

MetricsHistory readMetrics(const std::string& path) {
  MetricsHistory h;
  std::optional<std::string> text = readText(path);
  if (!text) return h;
  size_t start = 0;
  int lineNo = 0;
  while (start < text->size()) {
    size_t nl = text->find('\n', start);
    if (nl == std::string::npos) break;  // torn last line
    std::string line = text->substr(start, nl - start);
    start = nl + 1;
    ++lineNo;
    if (line.empty()) continue;
    std::map<std::string, double> num;
    std::map<std::string, std::string> str;
    LineParser(line, path, lineNo).parse(num, str);
    MetricPoint p;
    double step = get(num, "step");
    if (!(std::fabs(step) < 9e18)) {
      throw DataError(SourceLoc{path, lineNo, 1}, "", "",
                      "malformed metrics record: expected a \"step\" number, "
                      "found none");
    }
    p.step = static_cast<int64_t>(step);
    p.epoch = get(num, "epoch");
    p.wallTime = get(num, "wall_time");
    const std::string kind = str.count("kind") ? str["kind"] : "";
    const std::string outputs = kind == "eval" ? "test_outputs." : "outputs.";
    for (const auto& [key, v] : num)
      if (key.compare(0, outputs.size(), outputs) == 0)
        p.outputs.emplace_back(key.substr(outputs.size()), v);
    if (kind == "train") {
      p.loss = get(num, "loss");
      p.accuracy = get(num, "accuracy");
      p.lr = get(num, "lr");
      p.imagesPerSecond = get(num, "images_per_sec");
      h.train.push_back(p);
    } else if (kind == "eval") {
      p.loss = get(num, "test_loss");
      p.accuracy = get(num, "test_accuracy");
      h.eval.push_back(p);
    }
  }
  return h;
}

}  // namespace tapeflow
