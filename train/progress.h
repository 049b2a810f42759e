// train/progress.h - training progress on a terminal or in a log.
//
// On a terminal one status line is rewritten in place with '\r':
//   epoch 2/10 [=====>        ] 300/469 eta 0:12 interval loss 0.1234 acc 96.21% 1234 img/s
// redrawn at most ~10 times a second (the last step of an epoch is always
// drawn). Anything else (a file, a pipe) gets one plain, grep-friendly line
// per update():
//   epoch 2/10 step 300/469 interval loss 0.1234 acc 96.21% lr 0.01 img/s 1234.5
// The loss and accuracy are those of the last logging interval ("interval");
// endEpoch() prints the epoch's means ("epoch loss"). Accuracies are
// percentages; images/s is an exponential moving average of the readings
// (weight 0.3 for the newest), so the bar does not flicker.
// message() and endEpoch() first clear the status line, so text never lands
// in the middle of a bar. After a write fails (a closed pipe, a hung-up
// terminal, a full disk) nothing more is printed: progress output never
// stops training.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace tapeflow {

/// Where training stands. NaN (or <= 0 for imagesPerSecond) means unknown;
/// unknown values are left out of the output.
struct ProgressState {
  int epoch = 1, epochs = 1;     ///< 1-based epoch and total epochs
  int64_t step = 0, steps = 0;   ///< steps done in this epoch, steps per epoch
  double loss = NAN;             ///< running mean loss
  double accuracy = NAN;         ///< running accuracy in [0, 1]
  double lr = NAN;               ///< current learning rate
  double imagesPerSecond = 0;    ///< recent training throughput
  double epochSeconds = NAN;     ///< time spent in this epoch (ETA fallback)
  /// Scalar graph outputs (running means), printed as "name value".
  std::vector<std::pair<std::string, double>> outputs;
};

/// The results of one epoch, printed as one persistent line.
struct EpochSummary {
  int epoch = 1, epochs = 1;
  double loss = NAN, accuracy = NAN;          ///< training (running) values
  double testLoss = NAN, testAccuracy = NAN;  ///< NaN when not evaluated
  double seconds = NAN;                       ///< wall time of the epoch
  /// Epoch means and test means of the scalar graph outputs.
  std::vector<std::pair<std::string, double>> outputs, testOutputs;
};

class Progress {
 public:
  /// Writes to `out` (nullptr: prints nothing). Uses the in-place bar when
  /// `out` is a terminal or when forceTty is set. `out` must outlive this
  /// object: the destructor clears a bar that is still shown.
  explicit Progress(FILE* out, bool forceTty = false);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  bool tty() const { return tty_; }

  /// Reports the state at a logging interval: terminal: redraws the bar
  /// (throttled); otherwise prints one plain line.
  void update(const ProgressState& s);
  /// Reports the state after any step: terminal: redraws the bar
  /// (throttled); otherwise prints nothing. For a smooth bar between
  /// logging intervals.
  void tick(const ProgressState& s);
  /// Reports an evaluation in progress (samples done of total): terminal:
  /// an "evaluating" bar in place of the training bar (throttled);
  /// otherwise prints nothing.
  void evaluating(int64_t done, int64_t total);
  /// Prints a persistent line summarising an epoch.
  void endEpoch(const EpochSummary& s);
  /// Prints a line of text (a newline is added) after clearing the bar.
  void message(const std::string& text);
  /// Clears a bar that is shown; call before writing to `out` directly.
  void finish();

  /// Replaces the clock (seconds, monotonic); for tests.
  void setClock(std::function<double()> now) { now_ = std::move(now); }
  /// Fixes the terminal width instead of asking the terminal; for tests.
  void setWidth(int columns) { width_ = columns; }

  /// The plain log line for s (no newline).
  static std::string plainLine(const ProgressState& s);
  /// The evaluation bar line, at most `columns - 1` characters.
  static std::string evalBarLine(int64_t done, int64_t total, int columns);
  /// " <prefix>name value" for each known output.
  static std::string outputsText(const char* prefix,
                                 const std::vector<std::pair<std::string, double>>& outputs);
  /// The bar line for s, at most `columns - 1` characters; etaSeconds < 0
  /// means unknown.
  static std::string barLine(const ProgressState& s, double etaSeconds,
                             int columns);

 private:
  /// s with imagesPerSecond replaced by the moving average (updated).
  ProgressState smoothed(const ProgressState& s);
  void draw(const ProgressState& s, bool throttle);
  double etaSeconds(const ProgressState& s, double now);
  int columns() const;
  void write(const std::string& text);

  FILE* out_;
  bool tty_;
  bool barShown_ = false;
  int width_ = 0;  // 0: ask the terminal
  double lastDraw_ = -1e300;
  double rate_ = 0;  // moving average of images/s; 0: no reading yet
  // ETA baseline: the first step seen in the current epoch and its time.
  int epochSeen_ = -1;
  int64_t baseStep_ = 0;
  double baseTime_ = 0;
  std::function<double()> now_;
};

}  // namespace tapeflow
