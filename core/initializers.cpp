// core/initializers.cpp - the initializer table, its validation, and the two
// initializers that need more than one draw per element (orthogonal, a small
// Householder QR; truncated normal, an inverse normal CDF).
#include "core/initializers.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/error.h"
#include "core/param_store.h"
#include "core/suggest.h"

namespace tapeflow {

const std::vector<InitializerInfo>& initializers() {
  static const std::vector<InitializerInfo> table = {
      {"zeros", nullptr, InitKind::Zeros, "0", ""},
      {"ones", nullptr, InitKind::Ones, "1", ""},
      {"constant", nullptr, InitKind::Constant, "value", ""},
      {"uniform", nullptr, InitKind::Uniform, "U(low, high)", ""},
      {"normal", nullptr, InitKind::Normal, "N(mean, stddev^2)", ""},
      {"xavier_uniform", "glorot_uniform", InitKind::XavierUniform,
       "U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)); gain = 1",
       "gain weight"},
      {"xavier_normal", "glorot_normal", InitKind::XavierNormal,
       "N(0, gain^2 * 2 / (fan_in + fan_out)); gain = 1", "gain weight"},
      {"he_uniform", "kaiming_uniform", InitKind::HeUniform,
       "U(-b, b), b = gain * sqrt(3 / fan); gain = calculate_gain("
       "nonlinearity = leaky_relu, a = 0), fan = fan_in (mode: fan_in|fan_out)",
       "a nonlinearity mode weight"},
      {"he_normal", "kaiming_normal", InitKind::HeNormal,
       "N(0, gain^2 / fan); gain, fan as he_uniform",
       "a nonlinearity mode weight"},
      {"lecun_uniform", nullptr, InitKind::LecunUniform,
       "U(-2.4 / fan_in, 2.4 / fan_in) (LeCun 1998)", "weight"},
      {"orthogonal", nullptr, InitKind::Orthogonal,
       "gain * Q of QR(N(0, 1) [dims[0], rest]), signs by diag(R); gain = 1",
       "gain"},
      {"truncated_normal", nullptr, InitKind::TruncatedNormal,
       "N(mean, stddev^2) truncated to [a, b]; a = -2, b = 2 (absolute)",
       "a b"},
  };
  return table;
}

const InitializerInfo* findInitializer(const std::string& name) {
  for (const InitializerInfo& i : initializers())
    if (name == i.name || (i.alias && name == i.alias)) return &i;
  return nullptr;
}

std::string initializerNames() {
  std::string out;
  for (const InitializerInfo& i : initializers())
    out += (out.empty() ? "" : ", ") + std::string(i.name);
  return out;
}

namespace {

const std::vector<std::string> kNonlinearities = {
    "linear", "relu", "leaky_relu", "tanh", "sigmoid", "selu"};
const std::vector<std::string> kModes = {"fan_in", "fan_out"};

bool takes(const InitializerInfo& info, const std::string& field) {
  std::istringstream in(info.params);
  std::string w;
  while (in >> w)
    if (w == field) return true;
  return false;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

void validateInitializer(const ParamDef& p, const std::vector<ParamDef>& params) {
  const Initializer& in = p.init;
  const InitializerInfo* info = findInitializer(in.kind);
  if (!info) return;  // Program::build reports unknown kinds
  auto fail = [&](const std::string& msg) {
    throw ParseError(in.loc.line > 0 ? in.loc : p.loc, "", "",
                     "param '" + p.name + "': init '" + in.kind + "': " + msg);
  };
  auto check = [&](bool given, const char* field) {
    if (given && !takes(*info, field))
      fail(std::string("has no field '") + field + "'" +
           (*info->params ? " (it takes: " + std::string(info->params) + ")"
                          : ""));
  };
  check(in.a.has_value(), "a");
  check(in.b.has_value(), "b");
  check(in.gain.has_value(), "gain");
  check(!in.mode.empty(), "mode");
  check(!in.nonlinearity.empty(), "nonlinearity");
  check(!in.weight.empty(), "weight");
  if (in.gain && !(*in.gain >= 0.f && std::isfinite(*in.gain)))
    fail("gain must be a finite number >= 0, found " + AttrValue::ofFloat(*in.gain).str());
  if (!in.mode.empty() && std::find(kModes.begin(), kModes.end(), in.mode) ==
                              kModes.end())
    fail("unknown mode '" + in.mode + "'" + didYouMean(in.mode, kModes) +
         "; known: " + joined(kModes));
  if (!in.nonlinearity.empty() &&
      std::find(kNonlinearities.begin(), kNonlinearities.end(),
                in.nonlinearity) == kNonlinearities.end())
    fail("unknown nonlinearity '" + in.nonlinearity + "'" +
         didYouMean(in.nonlinearity, kNonlinearities) +
         "; known: " + joined(kNonlinearities));
  if (!in.weight.empty()) {
    std::vector<std::string> names;
    for (const ParamDef& q : params)
      if (q.name != p.name) names.push_back(q.name);
    if (std::find(names.begin(), names.end(), in.weight) == names.end())
      fail("weight '" + in.weight + "' is not another param" +
           didYouMean(in.weight, names));
  }
  if (info->kind == InitKind::Orthogonal && p.dims.size() < 2)
    fail("needs a param of 2 or more dims, found " + dimsStr(p.dims));
  if (info->kind == InitKind::TruncatedNormal) {
    if (!(in.stddev > 0.f))
      fail("needs stddev > 0, found " + AttrValue::ofFloat(in.stddev).str());
    float a = in.a.value_or(-2.f), b = in.b.value_or(2.f);
    if (!(a < b))
      fail("bounds need a < b, found a = " + AttrValue::ofFloat(a).str() +
           ", b = " + AttrValue::ofFloat(b).str());
  }
}

float gainSquared(const std::string& nonlinearity, float a) {
  if (nonlinearity == "relu") return 2.f;
  if (nonlinearity == "tanh") return 25.f / 9.f;   // gain 5/3
  if (nonlinearity == "selu") return 9.f / 16.f;   // gain 3/4
  if (nonlinearity == "leaky_relu") return 2.f / (1.f + a * a);
  return 1.f;  // linear, sigmoid
}

void fillOrthogonal(float* x, int64_t rows, int64_t cols, float gain, Rng& rng) {
  // Draw rows x cols as torch does; factor the tall orientation m x n.
  const bool wide = rows < cols;
  const int64_t m = wide ? cols : rows, n = wide ? rows : cols;
  std::vector<double> a(m * n);  // a[i * n + j], m x n
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      a[wide ? c * n + r : r * n + c] = rng.normal();
  std::vector<double> v(m * n, 0.0), diag(n);  // v[k * m + i]: reflector k
  for (int64_t k = 0; k < n; ++k) {
    double norm = 0;
    for (int64_t i = k; i < m; ++i) norm += a[i * n + k] * a[i * n + k];
    norm = std::sqrt(norm);
    double alpha = a[k * n + k] > 0 ? -norm : norm;
    diag[k] = alpha;
    double* vk = &v[k * m];
    for (int64_t i = k; i < m; ++i) vk[i] = a[i * n + k];
    vk[k] -= alpha;
    double vn = 0;
    for (int64_t i = k; i < m; ++i) vn += vk[i] * vk[i];
    if (vn == 0) continue;  // column already reduced
    vn = std::sqrt(vn);
    for (int64_t i = k; i < m; ++i) vk[i] /= vn;
    for (int64_t j = k; j < n; ++j) {
      double dot = 0;
      for (int64_t i = k; i < m; ++i) dot += vk[i] * a[i * n + j];
      for (int64_t i = k; i < m; ++i) a[i * n + j] -= 2 * dot * vk[i];
    }
  }
  // Q = H_0 ... H_{n-1} [I_n; 0], applied right to left.
  std::vector<double> q(m * n, 0.0);
  for (int64_t j = 0; j < n; ++j) q[j * n + j] = 1.0;
  for (int64_t k = n - 1; k >= 0; --k) {
    const double* vk = &v[k * m];
    for (int64_t j = 0; j < n; ++j) {
      double dot = 0;
      for (int64_t i = k; i < m; ++i) dot += vk[i] * q[i * n + j];
      for (int64_t i = k; i < m; ++i) q[i * n + j] -= 2 * dot * vk[i];
    }
  }
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      int64_t i = wide ? c : r, j = wide ? r : c;
      double sign = diag[j] < 0 ? -1.0 : 1.0;
      x[r * cols + c] = static_cast<float>(gain * sign * q[i * n + j]);
    }
}

namespace {

/// The standard normal quantile (Acklam's rational approximation, relative
/// error below 1.2e-9), for 0 < p < 1.
double normalQuantile(double p) {
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                             -2.759285104469687e+02, 1.383577518672690e+02,
                             -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                             -1.556989798598866e+02, 6.680131188771972e+01,
                             -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                             -2.400758277161838e+00, -2.549732539343734e+00,
                             4.374664141464968e+00, 2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                             2.445134137142996e+00, 3.754408661907416e+00};
  auto tail = [&](double q) {
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q +
            c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  };
  if (p < 0.02425) return tail(std::sqrt(-2 * std::log(p)));
  if (p > 1 - 0.02425) return -tail(std::sqrt(-2 * std::log(1 - p)));
  double q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) *
         q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

double normalCdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

}  // namespace

void fillTruncatedNormal(float* x, int64_t n, float mean, float stddev, float a,
                         float b, Rng& rng) {
  const double lo = normalCdf((double(a) - mean) / stddev);
  const double hi = normalCdf((double(b) - mean) / stddev);
  for (int64_t i = 0; i < n; ++i) {
    double u = lo + (hi - lo) * rng.uniform();
    double v = u <= 0 ? a : u >= 1 ? b : mean + stddev * normalQuantile(u);
    x[i] = std::clamp(static_cast<float>(v), a, b);
  }
}

}  // namespace tapeflow
