// train/curves.cpp - learning curves as a standalone SVG: a loss
// panel and an accuracy panel over the step axis (declared in metrics.h).
#include "train/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>

#include "core/atomic_file.h"

namespace tapeflow {
namespace {

constexpr double kWidth = 760, kHeight = 620;
constexpr double kLeft = 80, kRight = kWidth - 30;
constexpr double kPanelHeight = 220;
constexpr double kPanelTop[2] = {70, 360};
constexpr size_t kMaxPoints = 2000;  // per series; more are thinned
constexpr const char* kTrainColour = "#1f77b4";
constexpr const char* kTestColour = "#d62728";

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string escapeXml(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // Control characters are not allowed in XML 1.0 text.
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\t') out += c;
    }
  }
  return out;
}

/// An axis range with "nice" ticks: linear (1, 2 or 5 times a power of ten
/// apart) or logarithmic (powers of ten, with 2x and 5x for short ranges).
struct Axis {
  double lo = 0, hi = 1, step = 0.2;
  bool log = false;

  std::vector<double> ticks() const {
    std::vector<double> t;
    if (log) {
      const bool fine = hi / lo <= 1e3 * (1 + 1e-9);
      for (double d = lo; d <= hi * (1 + 1e-9); d *= 10) {
        for (double m : {1.0, 2.0, 5.0}) {
          if ((m == 1.0 || fine) && d * m <= hi * (1 + 1e-9)) t.push_back(d * m);
        }
      }
      return t;
    }
    const double n = std::floor((hi - lo) / step + 1e-9);
    for (double i = 0; i <= n; ++i) t.push_back(lo + i * step);
    return t;
  }
  /// Position of v along the axis, 0 at lo and 1 at hi.
  double fraction(double v) const {
    if (log) return std::log10(v / lo) / std::log10(hi / lo);
    return (v - lo) / (hi - lo);
  }
  std::string label(double v) const {
    if (log) return fmt("%g", v);
    const bool kilo = step >= 1000;
    if (std::fabs(v) < step * 1e-6) {
      if (kilo) return "0";
      v = 0;  // no "-0.0"
    }
    const double shown = kilo ? v / 1000 : v;
    const double st = kilo ? step / 1000 : step;
    int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(st) +
                                                            1e-9)));
    std::string s = fmt(("%." + std::to_string(decimals) + "f").c_str(), shown);
    return kilo ? s + "k" : s;
  }
};

Axis niceAxis(double lo, double hi, double floorAt, double capAt) {
  if (!(hi > lo)) {
    double pad = std::max(std::fabs(lo) * 0.1, 0.05);
    lo -= pad;
    hi += pad;
  }
  double raw = (hi - lo) / 5;
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag * (raw / mag <= 1 ? 1 : raw / mag <= 2 ? 2
                       : raw / mag <= 5 ? 5 : 10);
  Axis a;
  a.step = step;
  a.lo = std::max(std::floor(lo / step + 1e-9) * step, floorAt);
  a.hi = std::min(std::ceil(hi / step - 1e-9) * step, capAt);
  if (!(a.hi > a.lo)) a.hi = a.lo + step;
  return a;
}

/// Decades covering [lo, hi] (both > 0).
Axis logAxis(double lo, double hi) {
  Axis a;
  a.log = true;
  a.lo = std::pow(10.0, std::floor(std::log10(lo) + 1e-9));
  a.hi = std::pow(10.0, std::ceil(std::log10(hi) - 1e-9));
  if (!(a.hi > a.lo)) a.hi = a.lo * 10;
  return a;
}

using Value = std::function<double(const MetricPoint&)>;

/// The finite (step, value) points of a series, sorted by step and thinned
/// to at most kMaxPoints; a NaN y marks a gap.
std::vector<std::pair<double, double>> series(
    const std::vector<MetricPoint>& pts, const Value& value) {
  std::vector<std::pair<double, double>> out;
  for (const MetricPoint& p : pts) {
    out.emplace_back(static_cast<double>(p.step), value(p));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  if (out.size() > kMaxPoints) {
    size_t stride = (out.size() + kMaxPoints - 1) / kMaxPoints;
    std::vector<std::pair<double, double>> thin;
    for (size_t i = 0; i < out.size(); i += stride) thin.push_back(out[i]);
    if (thin.back() != out.back()) thin.push_back(out.back());
    out.swap(thin);
  }
  return out;
}

/// Widens [lo, hi] to the finite y values of s.
void extend(double& lo, double& hi,
            const std::vector<std::pair<double, double>>& s) {
  for (const auto& pt : s) {
    if (!std::isfinite(pt.second)) continue;
    lo = std::min(lo, pt.second);
    hi = std::max(hi, pt.second);
  }
}

struct Panel {
  double top;
  Axis x, y;
  double px(double v) const { return kLeft + x.fraction(v) * (kRight - kLeft); }
  double py(double v) const {
    return top + kPanelHeight - y.fraction(v) * kPanelHeight;
  }
  /// Whether v can be drawn (a log axis has no place for v <= 0).
  bool drawable(double v) const { return std::isfinite(v) && (!y.log || v > 0); }
};

std::string point(const Panel& p, double x, double y) {
  return fmt("%.1f", p.px(x)) + "," + fmt("%.1f", p.py(y));
}

/// Polylines through the finite points (split at gaps), optional markers.
std::string drawSeries(const Panel& p,
                       const std::vector<std::pair<double, double>>& s,
                       const char* colour, bool markers, bool dashed) {
  std::string out, pts;
  size_t count = 0;
  auto flush = [&] {
    if (count >= 2) {
      out += std::string("<polyline fill=\"none\" stroke=\"") + colour +
             "\" stroke-width=\"1.5\"" +
             (dashed ? " stroke-dasharray=\"4 3\"" : "") + " points=\"" + pts +
             "\"/>\n";
    }
    pts.clear();
    count = 0;
  };
  for (const auto& [x, y] : s) {
    if (!p.drawable(y)) {
      flush();
      continue;
    }
    if (count++) pts += ' ';
    pts += point(p, x, y);
    if (markers || s.size() == 1) {
      out += "<circle cx=\"" + fmt("%.1f", p.px(x)) + "\" cy=\"" +
             fmt("%.1f", p.py(y)) + "\" r=\"3\" fill=\"" + colour + "\"/>\n";
    }
  }
  flush();
  return out;
}

std::string text(double x, double y, const std::string& s,
                 const char* extra = "") {
  return "<text x=\"" + fmt("%.1f", x) + "\" y=\"" + fmt("%.1f", y) + "\"" +
         extra + ">" + escapeXml(s) + "</text>\n";
}

/// Epoch boundaries (step, epoch number) within the x axis, at most about a
/// dozen: every epoch, or every 2nd, 5th, 10th, ...
std::vector<std::pair<double, int>> epochMarks(const std::vector<MetricPoint>& train,
                                               const std::vector<MetricPoint>& eval,
                                               double lastStep) {
  double perEpoch = 0;
  for (const auto* v : {&train, &eval})
    for (const MetricPoint& p : *v)
      if (std::isfinite(p.epoch) && p.epoch > 0 && p.step > 0)
        perEpoch = double(p.step) / p.epoch;
  std::vector<std::pair<double, int>> out;
  if (!(perEpoch > 0)) return out;
  const int epochs = int(std::floor(lastStep / perEpoch + 1e-9));
  int every = 1;
  for (int m : {2, 5, 10, 20, 50, 100, 200, 500, 1000})
    if (epochs / every > 12) every = m;
  for (int e = every; e <= epochs && out.size() < 40; e += every)
    out.emplace_back(e * perEpoch, e);
  return out;
}

std::string drawPanel(int index, std::string name,
                      const std::vector<std::pair<double, double>>& train,
                      const std::vector<std::pair<double, double>>& test,
                      const Axis& xAxis, bool isAccuracy,
                      const std::vector<std::pair<double, int>>& epochs) {
  double lo = INFINITY, hi = -INFINITY;
  extend(lo, hi, train);
  extend(lo, hi, test);
  const bool empty = !(lo <= hi);
  // Losses that fall by more than 30x (2.3 -> 0.03 on MNIST) are drawn on a
  // log scale, so the late part of training is not a flat line at zero.
  const bool logScale = !isAccuracy && !empty && lo > 0 && hi / lo > 30;
  Axis yAxis;
  if (logScale) {
    yAxis = logAxis(lo, hi);
  } else {
    if (empty) {
      lo = 0;
      hi = 1;
    } else if (!isAccuracy && lo >= 0) {
      lo = 0;  // losses start the axis at zero
    }
    yAxis = niceAxis(lo, hi, isAccuracy && lo >= 0 ? 0.0 : -INFINITY,
                     isAccuracy && hi <= 1 ? 1.0 : INFINITY);
  }
  Panel p{kPanelTop[index], xAxis, yAxis};
  if (logScale) name += " (log scale)";
  const double bottom = p.top + kPanelHeight;
  std::string clip = "clip" + std::to_string(index);
  std::string out = "<g>\n";
  out += "<clipPath id=\"" + clip + "\"><rect x=\"" + fmt("%.1f", kLeft) +
         "\" y=\"" + fmt("%.1f", p.top - 4) + "\" width=\"" +
         fmt("%.1f", kRight - kLeft) + "\" height=\"" +
         fmt("%.1f", kPanelHeight + 8) + "\"/></clipPath>\n";
  // Grid lines and tick labels.
  for (double v : p.y.ticks()) {
    std::string y = fmt("%.1f", p.py(v));
    out += "<line x1=\"" + fmt("%.1f", kLeft) + "\" y1=\"" + y + "\" x2=\"" +
           fmt("%.1f", kRight) + "\" y2=\"" + y +
           "\" stroke=\"#e5e5e5\"/>\n";
    out += text(kLeft - 6, p.py(v) + 4, p.y.label(v), " text-anchor=\"end\"");
  }
  for (double v : p.x.ticks()) {
    std::string x = fmt("%.1f", p.px(v));
    out += "<line x1=\"" + x + "\" y1=\"" + fmt("%.1f", p.top) + "\" x2=\"" +
           x + "\" y2=\"" + fmt("%.1f", bottom) +
           "\" stroke=\"#e5e5e5\"/>\n";
    out += text(p.px(v), bottom + 16, p.x.label(v), " text-anchor=\"middle\"");
  }
  out += "<rect x=\"" + fmt("%.1f", kLeft) + "\" y=\"" + fmt("%.1f", p.top) +
         "\" width=\"" + fmt("%.1f", kRight - kLeft) + "\" height=\"" +
         fmt("%.1f", kPanelHeight) +
         "\" fill=\"none\" stroke=\"#444444\"/>\n";
  out += text((kLeft + kRight) / 2, bottom + 34, "step",
              " text-anchor=\"middle\"");
  // The epoch axis: a dashed line at each epoch's end, labelled on top.
  for (const auto& [step, epoch] : epochs) {
    std::string x = fmt("%.1f", p.px(step));
    out += "<line x1=\"" + x + "\" y1=\"" + fmt("%.1f", p.top) + "\" x2=\"" + x +
           "\" y2=\"" + fmt("%.1f", bottom) +
           "\" stroke=\"#bbbbbb\" stroke-dasharray=\"2 3\"/>\n";
    out += text(p.px(step), p.top - 4, "epoch " + std::to_string(epoch),
                " text-anchor=\"middle\" font-size=\"10\" fill=\"#666666\"");
  }
  const double midY = p.top + kPanelHeight / 2;
  out += text(kLeft - 52, midY, name,
              (" text-anchor=\"middle\" transform=\"rotate(-90 " +
               fmt("%.1f", kLeft - 52) + " " + fmt("%.1f", midY) + ")\"")
                  .c_str());
  // Data.
  out += "<g clip-path=\"url(#" + clip + ")\">\n";
  out += drawSeries(p, train, kTrainColour, false, false);
  out += drawSeries(p, test, kTestColour, true, true);
  out += "</g>\n";
  if (empty) {
    out += text((kLeft + kRight) / 2, midY, "no data",
                " text-anchor=\"middle\" fill=\"#888888\"");
  }
  // Legend, top right inside the panel (bottom right for accuracy, which
  // rises towards the top).
  const double lx = kRight - 200;
  const double ly = isAccuracy ? bottom - 52 : p.top + 8;
  out += "<rect x=\"" + fmt("%.1f", lx) + "\" y=\"" + fmt("%.1f", ly) +
         "\" width=\"192\" height=\"44\" fill=\"#ffffff\" fill-opacity=\"0.9\" "
         "stroke=\"#cccccc\"/>\n";
  const char* labels[2] = {isAccuracy ? "train (running accuracy)"
                                      : "train (running loss)",
                           isAccuracy ? "test accuracy" : "test loss"};
  const char* colours[2] = {kTrainColour, kTestColour};
  for (int k = 0; k < 2; ++k) {
    double y = ly + 15 + 18 * k;
    out += "<line x1=\"" + fmt("%.1f", lx + 8) + "\" y1=\"" + fmt("%.1f", y) +
           "\" x2=\"" + fmt("%.1f", lx + 32) + "\" y2=\"" + fmt("%.1f", y) +
           "\" stroke=\"" + colours[k] + "\" stroke-width=\"1.5\"" +
           (k ? " stroke-dasharray=\"4 3\"" : "") + "/>\n";
    if (k) {
      out += "<circle cx=\"" + fmt("%.1f", lx + 20) + "\" cy=\"" +
             fmt("%.1f", y) + "\" r=\"3\" fill=\"" + colours[k] + "\"/>\n";
    }
    out += text(lx + 40, y + 4, labels[k]);
  }
  out += "</g>\n";
  return out;
}

/// "best test accuracy 0.9912 at step 4221; last test loss 0.0310".
std::string summary(const std::vector<MetricPoint>& train,
                    const std::vector<MetricPoint>& eval) {
  const MetricPoint* best = nullptr;
  for (const MetricPoint& p : eval) {
    if (std::isfinite(p.accuracy) && (!best || p.accuracy > best->accuracy)) {
      best = &p;
    }
  }
  std::string s = std::to_string(train.size()) + " training records, " +
                  std::to_string(eval.size()) + " evaluations";
  if (best) {
    s += "; best test accuracy " + fmt("%.4f", best->accuracy) + " at step " +
         std::to_string(best->step);
  }
  return s;
}

}  // namespace

std::string curvesSvg(const std::vector<MetricPoint>& train,
                      const std::vector<MetricPoint>& eval,
                      const std::string& title) {
  auto loss = [](const MetricPoint& p) { return p.loss; };
  auto acc = [](const MetricPoint& p) { return p.accuracy; };
  auto trainLoss = series(train, loss), testLoss = series(eval, loss);
  auto trainAcc = series(train, acc), testAcc = series(eval, acc);
  double lo = 0, hi = -INFINITY;
  for (const auto* s : {&trainLoss, &testLoss, &trainAcc, &testAcc}) {
    for (const auto& pt : *s) hi = std::max(hi, pt.first);
    for (const auto& pt : *s) lo = std::min(lo, pt.first);
  }
  // At least 0..5 so that empty runs do not get fractional step ticks; the
  // axis ends at the last step (no empty stretch up to a round number).
  const double last = std::max(hi, lo + 5);
  Axis xAxis = niceAxis(lo, last, -INFINITY, INFINITY);
  xAxis.hi = last;
  const auto epochs = epochMarks(train, eval, last);

  std::string out =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + fmt("%.0f", kWidth) +
      "\" height=\"" + fmt("%.0f", kHeight) + "\" viewBox=\"0 0 " +
      fmt("%.0f", kWidth) + " " + fmt("%.0f", kHeight) +
      "\" font-family=\"sans-serif\" font-size=\"12\" fill=\"#222222\">\n";
  out += "<title>" + escapeXml(title) + "</title>\n";
  out += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  out += text(kWidth / 2, 26, title,
              " text-anchor=\"middle\" font-size=\"18\" font-weight=\"bold\"");
  out += text(kWidth / 2, 46, summary(train, eval),
              " text-anchor=\"middle\" fill=\"#666666\"");
  out += drawPanel(0, "loss", trainLoss, testLoss, xAxis, false, epochs);
  out += drawPanel(1, "accuracy", trainAcc, testAcc, xAxis, true, epochs);
  out += "</svg>\n";
  return out;
}

void writeCurves(const std::string& path, const std::vector<MetricPoint>& train,
                 const std::vector<MetricPoint>& eval,
                 const std::string& title) {
  writeFileAtomically(path, curvesSvg(train, eval, title));
}

}  // namespace tapeflow
