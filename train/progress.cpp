// train/progress.cpp - status bar and plain progress lines.
#include "train/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

namespace tapeflow {
namespace {

constexpr double kMinRedrawSeconds = 0.1;
/// Weight of the newest images/s reading in the displayed moving average.
constexpr double kRateWeight = 0.3;
constexpr const char* kClearLine = "\r\033[K";

std::string format(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

bool known(double v) { return std::isfinite(v); }

/// "0:07", "12:34", "1:02:03"; "?" when unknown.
std::string clockText(double seconds) {
  if (!known(seconds) || seconds < 0) return "?";
  if (seconds >= 100 * 3600.0) return ">99h";
  long s = std::lround(seconds);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60,
                  s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  }
  return buf;
}

std::string epochText(int epoch, int epochs) {
  return "epoch " + std::to_string(epoch) + "/" + std::to_string(epochs);
}

}  // namespace

Progress::Progress(FILE* out, bool forceTty)
    : out_(out),
      tty_(out != nullptr && (forceTty || ::isatty(::fileno(out)) == 1)),
      now_([] {
        return std::chrono::duration<double>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
      }) {}

Progress::~Progress() { finish(); }

std::string Progress::outputsText(const char* prefix,
                                  const std::vector<std::pair<std::string, double>>& outputs) {
  std::string out;
  for (const auto& [name, v] : outputs)
    if (known(v)) out += " " + std::string(prefix) + name + format(" %.4g", v);
  return out;
}

std::string Progress::plainLine(const ProgressState& s) {
  std::string line = epochText(s.epoch, s.epochs) + " step " +
                     std::to_string(s.step);
  if (s.steps > 0) line += "/" + std::to_string(s.steps);
  if (known(s.loss)) line += format(" interval loss %.4f", s.loss);
  if (known(s.accuracy)) line += format(" acc %.2f%%", 100.0 * s.accuracy);
  line += outputsText("", s.outputs);
  if (known(s.lr)) line += format(" lr %g", s.lr);
  if (known(s.imagesPerSecond) && s.imagesPerSecond > 0) {
    line += format(" img/s %.1f", s.imagesPerSecond);
  }
  return line;
}

std::string Progress::barLine(const ProgressState& s, double etaSeconds,
                              int columns) {
  std::string head = epochText(s.epoch, s.epochs) + " ";
  std::string rest = std::to_string(s.step);
  if (s.steps > 0) rest += "/" + std::to_string(s.steps);
  if (etaSeconds >= 0) rest += " eta " + clockText(etaSeconds);
  if (known(s.loss)) rest += format(" interval loss %.4f", s.loss);
  if (known(s.accuracy)) rest += format(" acc %.2f%%", 100.0 * s.accuracy);
  rest += outputsText("", s.outputs);
  if (known(s.imagesPerSecond) && s.imagesPerSecond > 0) {
    rest += format(" %.0f img/s", s.imagesPerSecond);
  }
  const int limit = std::max(columns - 1, 1);
  const int room = limit - static_cast<int>(head.size() + rest.size()) - 3;
  const int barWidth = std::min(30, room);
  std::string bar;
  if (s.steps > 0 && barWidth >= 5) {
    double frac = std::clamp(static_cast<double>(s.step) /
                                 static_cast<double>(s.steps), 0.0, 1.0);
    int filled = static_cast<int>(frac * barWidth);
    bar = "[" + std::string(static_cast<size_t>(filled), '=');
    if (filled < barWidth) {
      bar += '>';
      bar += std::string(static_cast<size_t>(barWidth - filled - 1), ' ');
    }
    bar += "] ";
  }
  std::string line = head + bar + rest;
  if (static_cast<int>(line.size()) > limit) {
    line.resize(static_cast<size_t>(limit));
  }
  return line;
}

std::string Progress::evalBarLine(int64_t done, int64_t total, int columns) {
  const std::string head = "evaluating ";
  const std::string rest = std::to_string(done) + "/" + std::to_string(total) + " samples";
  const int limit = std::max(columns - 1, 1);
  const int barWidth = std::min(30, limit - static_cast<int>(head.size() + rest.size()) - 3);
  std::string bar;
  if (total > 0 && barWidth >= 5) {
    const double frac = std::clamp(static_cast<double>(done) / static_cast<double>(total), 0.0, 1.0);
    const int filled = static_cast<int>(frac * barWidth);
    bar = "[" + std::string(static_cast<size_t>(filled), '=');
    if (filled < barWidth) bar += '>' + std::string(static_cast<size_t>(barWidth - filled - 1), ' ');
    bar += "] ";
  }
  std::string line = head + bar + rest;
  if (static_cast<int>(line.size()) > limit) line.resize(static_cast<size_t>(limit));
  return line;
}

void Progress::evaluating(int64_t done, int64_t total) {
  if (!out_ || !tty_) return;
  const double now = now_();
  if (done < total && now - lastDraw_ < kMinRedrawSeconds) return;
  lastDraw_ = now;
  write("\r" + evalBarLine(done, total, columns()) + "\033[K");
  barShown_ = true;
}

double Progress::etaSeconds(const ProgressState& s, double now) {
  if (s.epoch != epochSeen_ || s.step < baseStep_) {
    epochSeen_ = s.epoch;
    baseStep_ = s.step;
    baseTime_ = now;
  }
  if (s.steps <= 0) return -1;
  const double left = static_cast<double>(std::max<int64_t>(s.steps - s.step, 0));
  if (s.step > baseStep_ && now > baseTime_) {
    return (now - baseTime_) / static_cast<double>(s.step - baseStep_) * left;
  }
  if (known(s.epochSeconds) && s.epochSeconds > 0 && s.step > 0) {
    return s.epochSeconds / static_cast<double>(s.step) * left;
  }
  return -1;
}

int Progress::columns() const {
  if (width_ > 0) return width_;
  struct winsize ws {};
  int fd = out_ ? ::fileno(out_) : -1;
  if (fd >= 0 && ::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
    return std::min<int>(ws.ws_col, 400);
  }
  return 80;
}

void Progress::write(const std::string& text) {
  if (!out_) return;
  // A failed write (a closed pipe: EPIPE, a hung-up terminal: EIO, a full
  // disk) ends the printing for good; training goes on.
  if (std::fputs(text.c_str(), out_) < 0 || std::fflush(out_) != 0) out_ = nullptr;
}

void Progress::draw(const ProgressState& s, bool throttle) {
  const double now = now_();
  const double eta = etaSeconds(s, now);
  const bool last = s.steps > 0 && s.step >= s.steps;
  if (throttle && !last && now - lastDraw_ < kMinRedrawSeconds) return;
  lastDraw_ = now;
  write("\r" + barLine(s, eta, columns()) + "\033[K");
  barShown_ = true;
}

ProgressState Progress::smoothed(const ProgressState& s) {
  ProgressState out = s;
  if (known(s.imagesPerSecond) && s.imagesPerSecond > 0) {
    rate_ = rate_ > 0 ? kRateWeight * s.imagesPerSecond + (1 - kRateWeight) * rate_
                      : s.imagesPerSecond;
    out.imagesPerSecond = rate_;
  }
  return out;
}

void Progress::update(const ProgressState& s) {
  if (!out_) return;
  ProgressState m = smoothed(s);
  if (tty_) {
    draw(m, true);
  } else {
    write(plainLine(m) + "\n");
  }
}

void Progress::tick(const ProgressState& s) {
  if (out_ && tty_) draw(smoothed(s), true);
}

void Progress::endEpoch(const EpochSummary& s) {
  std::string line = epochText(s.epoch, s.epochs) + " done:";
  if (known(s.loss)) line += format(" epoch loss %.4f", s.loss);
  if (known(s.accuracy)) line += format(" acc %.2f%%", 100.0 * s.accuracy);
  line += outputsText("", s.outputs);
  if (known(s.testLoss)) line += format(" test loss %.4f", s.testLoss);
  if (known(s.testAccuracy)) line += format(" test acc %.2f%%", 100.0 * s.testAccuracy);
  line += outputsText("test ", s.testOutputs);
  if (known(s.seconds)) line += format(" time %.1fs", s.seconds);
  message(line);
}

void Progress::message(const std::string& text) {
  if (!out_) return;
  finish();
  write(text + "\n");
}

void Progress::finish() {
  if (!barShown_) return;
  barShown_ = false;
  lastDraw_ = -1e300;  // the next update shows the bar again at once
  write(kClearLine);
}

}  // namespace tapeflow
