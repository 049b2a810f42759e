// tests/support/reference_loss.h - naive reference loops for the loss,
// metric, normalisation and dropout ops. Plain row-major data, double
// accumulation; clarity over speed.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace tapeflow::reference {

/// log(softmax(row)) of each row of an [n, c] matrix, in double.
inline std::vector<double> logSoftmaxRows(const std::vector<float>& x,
                                          int64_t n, int64_t c) {
  std::vector<double> out(x.size());
  for (int64_t i = 0; i < n; ++i) {
    double mx = x[i * c];
    for (int64_t j = 1; j < c; ++j) mx = std::max(mx, double(x[i * c + j]));
    double sum = 0;
    for (int64_t j = 0; j < c; ++j) sum += std::exp(double(x[i * c + j]) - mx);
    for (int64_t j = 0; j < c; ++j)
      out[i * c + j] = double(x[i * c + j]) - mx - std::log(sum);
  }
  return out;
}

/// Cross entropy of softmax(logits) against integer labels (stored as
/// floats); rows with a label outside [0, c) contribute 0. `mean` divides by
/// n, otherwise the losses are summed.
inline double softmaxCrossEntropy(const std::vector<float>& logits,
                                  const std::vector<float>& labels, int64_t n,
                                  int64_t c, bool mean) {
  std::vector<double> logp = logSoftmaxRows(logits, n, c);
  double loss = 0;
  for (int64_t i = 0; i < n; ++i) {
    int64_t k = int64_t(labels[i]);
    if (k >= 0 && k < c) loss -= logp[i * c + k];
  }
  return mean ? loss / double(n) : loss;
}

/// d loss / d logits for a loss gradient of 1: (softmax - onehot) (/ n).
inline std::vector<double> softmaxCrossEntropyGrad(
    const std::vector<float>& logits, const std::vector<float>& labels,
    int64_t n, int64_t c, bool mean) {
  std::vector<double> g = logSoftmaxRows(logits, n, c);
  for (int64_t i = 0; i < n; ++i) {
    int64_t k = int64_t(labels[i]);
    bool valid = k >= 0 && k < c;
    for (int64_t j = 0; j < c; ++j) {
      double v = valid ? std::exp(g[i * c + j]) - (j == k ? 1.0 : 0.0) : 0.0;
      g[i * c + j] = mean ? v / double(n) : v;
    }
  }
  return g;
}

/// mean((pred - target)^2).
inline double meanSquaredError(const std::vector<float>& pred,
                               const std::vector<float>& target) {
  double sum = 0;
  for (size_t i = 0; i < pred.size(); ++i) {
    double d = double(pred[i]) - double(target[i]);
    sum += d * d;
  }
  return sum / double(pred.size());
}

/// Mean (or sum) of f(pred[i], target[i]) in double.
template <class F>
double pointwiseLoss(const std::vector<float>& pred,
                     const std::vector<float>& target, bool mean, F f) {
  double sum = 0;
  for (size_t i = 0; i < pred.size(); ++i) sum += f(pred[i], target[i]);
  return mean ? sum / double(pred.size()) : sum;
}

/// -(t log s(x) + (1 - t) log(1 - s(x))), s = sigmoid, in long double.
inline double binaryCrossEntropy(double x, double t) {
  long double s = 1.0L / (1.0L + std::exp(-(long double)x));
  long double q = 1.0L / (1.0L + std::exp((long double)x));  // 1 - s
  return double(-(t * std::log(s) + (1 - t) * std::log(q)));
}

inline double huber(double p, double t, double delta) {
  double d = std::fabs(p - t);
  return d <= delta ? 0.5 * d * d : delta * (d - 0.5 * delta);
}

/// Mean (or sum) over rows of -logp[n, labels[n]]; rows with a label
/// outside [0, c) contribute 0.
inline double nllLoss(const std::vector<float>& logp,
                      const std::vector<float>& labels, int64_t n, int64_t c,
                      bool mean) {
  double loss = 0;
  for (int64_t i = 0; i < n; ++i) {
    int64_t k = int64_t(labels[i]);
    if (k >= 0 && k < c) loss -= logp[i * c + k];
  }
  return mean ? loss / double(n) : loss;
}

/// Index of the largest value of each row of [n, c]; the first on ties.
inline std::vector<int> argMaxRows(const std::vector<float>& x, int64_t n,
                                   int64_t c) {
  std::vector<int> out(n);
  for (int64_t i = 0; i < n; ++i) {
    int best = 0;
    for (int64_t j = 1; j < c; ++j)
      if (x[i * c + j] > x[i * c + best]) best = int(j);
    out[i] = best;
  }
  return out;
}

/// Fraction of rows whose argmax equals the label.
inline double accuracy(const std::vector<float>& logits,
                       const std::vector<float>& labels, int64_t n, int64_t c) {
  std::vector<int> pred = argMaxRows(logits, n, c);
  int64_t correct = 0;
  for (int64_t i = 0; i < n; ++i) correct += pred[i] == int(labels[i]);
  return double(correct) / double(n);
}

/// Batch statistics of an [n, c, spatial] tensor (spatial = H*W, 1 for
/// [n, c]): per-channel mean and biased variance.
struct ChannelStats {
  std::vector<double> mean;
  std::vector<double> var;
};

inline ChannelStats channelStats(const std::vector<float>& x, int64_t n,
                                 int64_t c, int64_t spatial) {
  ChannelStats s{std::vector<double>(c, 0.0), std::vector<double>(c, 0.0)};
  double count = double(n * spatial);
  for (int64_t ch = 0; ch < c; ++ch) {
    double sum = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t p = 0; p < spatial; ++p)
        sum += x[(i * c + ch) * spatial + p];
    s.mean[ch] = sum / count;
    double sq = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t p = 0; p < spatial; ++p) {
        double d = x[(i * c + ch) * spatial + p] - s.mean[ch];
        sq += d * d;
      }
    s.var[ch] = sq / count;
  }
  return s;
}

/// dst = scale * (x - mean) / sqrt(var + eps) + shift, per channel.
inline std::vector<float> batchNorm(const std::vector<float>& x, int64_t n,
                                    int64_t c, int64_t spatial,
                                    const std::vector<double>& mean,
                                    const std::vector<double>& var,
                                    const std::vector<float>& scale,
                                    const std::vector<float>& shift,
                                    float eps) {
  std::vector<float> y(x.size());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t p = 0; p < spatial; ++p) {
        int64_t k = (i * c + ch) * spatial + p;
        y[k] = float(double(scale[ch]) * (x[k] - mean[ch]) /
                         std::sqrt(var[ch] + double(eps)) +
                     double(shift[ch]));
      }
  return y;
}

}  // namespace tapeflow::reference
