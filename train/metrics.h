// train/metrics.h - the metrics log (runs/NAME/metrics.jsonl) and
// the learning-curve plot (runs/NAME/curves.svg).
//
// metrics.jsonl holds one JSON object per line, written with one write()
// each, so a crash leaves at most one torn last line (which the next open
// removes):
//   {"kind":"train","step":100,"epoch":1.25,"loss":0.31,"accuracy":0.91,
//    "lr":0.01,"images_per_sec":1200.5,"wall_time":12.3}
//   {"kind":"eval","step":469,"epoch":1,"wall_time":15.2,
//    "test_accuracy":0.97,"test_loss":0.09}
// A graph with scalar outputs (`output:`) or several losses adds the mean of
// each over the interval, or over the test set:
//   ...,"outputs":{"mae":0.81}}   ...,"test_outputs":{"mae":0.79}}
// Every key is always present; unknown or non-finite values are null.
// Numbers carry 9 significant digits (exact for float values).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tapeflow {

/// One point of a learning curve. For training points loss and accuracy
/// are running values over the last logging interval; for evaluation points
/// they are the test loss and test accuracy. NaN means unknown.
struct MetricPoint {
  int64_t step = 0;
  double epoch = NAN;            ///< fractional epoch: step / steps per epoch
  double loss = NAN;
  double accuracy = NAN;
  double lr = NAN;
  double imagesPerSecond = NAN;
  double wallTime = NAN;         ///< seconds since the start of the run
  /// Scalar graph outputs (and each of several losses): running means over
  /// the interval, or test means; written as "outputs" / "test_outputs".
  std::vector<std::pair<std::string, double>> outputs;
};

/// The "train" and "eval" records of a metrics log, in file order.
struct MetricsHistory {
  std::vector<MetricPoint> train, eval;
};

/// Appends records to a metrics.jsonl file (parent directories are created).
class MetricsLog {
 public:
  /// Opens `path` for appending. A torn last line (no newline) left by a
  /// crash is removed. With keepUpToStep >= 0 (resuming from a checkpoint
  /// at that step), records with a larger step - work that was lost and
  /// will be redone - are dropped first, by an atomic rewrite. Throws
  /// IoError when the file cannot be opened or rewritten.
  explicit MetricsLog(const std::string& path, int64_t keepUpToStep = -1);
  ~MetricsLog();
  MetricsLog(const MetricsLog&) = delete;
  MetricsLog& operator=(const MetricsLog&) = delete;

  /// Appends a "train" record. Throws IoError if the write fails.
  void logTrain(const MetricPoint& p);
  /// Appends an "eval" record (step, epoch and wall_time taken from p). A
  /// non-finite wall time is filled in: the last train record's wall time
  /// plus the seconds since it was logged (or the seconds since the log was
  /// opened, before any train record).
  void logEval(const MetricPoint& p, double testAccuracy, double testLoss);
  /// fsync()s the file (e.g. together with a checkpoint).
  void sync();

  const std::string& path() const { return path_; }

 private:
  void append(const std::string& line);

  std::string path_;
  int fd_ = -1;
  double openedAt_ = 0;     // steady clock, seconds
  double lastTrainAt_ = 0;  // steady clock when the last train record came
  double lastTrainWall_ = NAN;
};

/// The JSON line (without newline) of a train / eval record.
std::string trainRecordJson(const MetricPoint& p);
std::string evalRecordJson(const MetricPoint& p, double testAccuracy,
                           double testLoss);

/// Reads a metrics log; for eval records loss/accuracy are the test values.
/// A missing file gives an empty history; a torn last line is ignored;
/// records of another kind are skipped. Throws DataError (file:line:col)
/// for a malformed line and IoError when the file cannot be read.
MetricsHistory readMetrics(const std::string& path);

/// A standalone SVG (no scripts, generic font family) with two panels over
/// the step axis: loss (training line, test points) and accuracy (training
/// running accuracy, test accuracy), with tick labels, legends and a title.
/// Non-finite values are left out; empty inputs give empty, labelled axes.
std::string curvesSvg(const std::vector<MetricPoint>& train,
                      const std::vector<MetricPoint>& eval,
                      const std::string& title = "training curves");

/// Writes curvesSvg(...) to path atomically (temporary file + rename).
/// Throws IoError naming the path on failure; the old file is kept then.
void writeCurves(const std::string& path, const std::vector<MetricPoint>& train,
                 const std::vector<MetricPoint>& eval,
                 const std::string& title = "training curves");

}  // namespace tapeflow
