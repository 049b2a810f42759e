// train/data/image_resize.cpp - resizing (area / bilinear) and
// MNIST-style preprocessing of a single digit image.
#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "train/data/image_decode.h"
#include "train/data/image_reader.h"

namespace tapeflow::data {
namespace {

using detail::num;
using detail::toByte;

[[noreturn]] void usageError(const std::string& msg) {
  throw UsageError(SourceLoc{}, "", "", msg);
}

/// For each output index along one axis, the source indices and weights.
struct AxisTaps {
  std::vector<size_t> start;   // offset into idx/weight per output index
  std::vector<int> idx;
  std::vector<float> weight;
};

AxisTaps axisTaps(int src, int dst) {
  AxisTaps t;
  const double scale = static_cast<double>(src) / dst;
  for (int o = 0; o < dst; ++o) {
    t.start.push_back(t.idx.size());
    if (dst < src) {  // area: the output pixel covers [lo, hi) of the source
      double lo = o * scale, hi = (o + 1) * scale;
      for (int s = static_cast<int>(lo); s < src && s < hi; ++s) {
        double overlap = std::min<double>(hi, s + 1) - std::max<double>(lo, s);
        if (overlap <= 1e-12) continue;
        t.idx.push_back(s);
        t.weight.push_back(static_cast<float>(overlap / scale));
      }
    } else {  // bilinear with pixel centres aligned
      double x = std::clamp((o + 0.5) * scale - 0.5, 0.0, src - 1.0);
      int s0 = static_cast<int>(x);
      int s1 = std::min(s0 + 1, src - 1);
      float f = static_cast<float>(x - s0);
      t.idx.push_back(s0);
      t.weight.push_back(1.0f - f);
      if (s1 != s0 && f > 0.0f) {
        t.idx.push_back(s1);
        t.weight.push_back(f);
      }
    }
  }
  t.start.push_back(t.idx.size());
  return t;
}

/// Separable resize of a float plane, rows then columns.
std::vector<float> resizePlane(const std::vector<float>& src, int sw, int sh,
                               int dw, int dh) {
  AxisTaps tx = axisTaps(sw, dw), ty = axisTaps(sh, dh);
  std::vector<float> tmp(static_cast<size_t>(dw) * sh);
  for (int y = 0; y < sh; ++y) {
    const float* row = src.data() + static_cast<size_t>(y) * sw;
    for (int x = 0; x < dw; ++x) {
      float acc = 0.0f;
      for (size_t k = tx.start[x]; k < tx.start[x + 1]; ++k) {
        acc += tx.weight[k] * row[tx.idx[k]];
      }
      tmp[static_cast<size_t>(y) * dw + x] = acc;
    }
  }
  std::vector<float> out(static_cast<size_t>(dw) * dh);
  for (int y = 0; y < dh; ++y) {
    float* dst = out.data() + static_cast<size_t>(y) * dw;
    for (size_t k = ty.start[y]; k < ty.start[y + 1]; ++k) {
      const float* row = tmp.data() + static_cast<size_t>(ty.idx[k]) * dw;
      for (int x = 0; x < dw; ++x) dst[x] += ty.weight[k] * row[x];
    }
  }
  return out;
}

void checkImage(const GrayImage& img, const char* fn) {
  if (img.width <= 0 || img.height <= 0 ||
      img.pixels.size() != static_cast<size_t>(img.width) * img.height) {
    usageError(std::string(fn) + ": expected a non-empty image with " +
               "width*height pixels, found " + std::to_string(img.width) + "x" +
               std::to_string(img.height) + " with " +
               std::to_string(img.pixels.size()) + " pixels");
  }
}

}  // namespace

GrayImage resizeTo(const GrayImage& img, int w, int h) {
  checkImage(img, "resizeTo");
  if (w < 1 || h < 1 ||
      static_cast<int64_t>(w) * h > kMaxImagePixels) {
    usageError("resizeTo: expected a size of 1 to " + num(kMaxImagePixels) +
               " pixels, found " + std::to_string(w) + "x" + std::to_string(h));
  }
  std::vector<float> src(img.pixels.begin(), img.pixels.end());
  std::vector<float> dst = resizePlane(src, img.width, img.height, w, h);
  GrayImage out;
  out.width = w;
  out.height = h;
  out.pixels.resize(dst.size());
  for (size_t i = 0; i < dst.size(); ++i) out.pixels[i] = toByte(dst[i]);
  return out;
}

std::vector<float> mnistStyle(const GrayImage& img, int size,
                              bool autoInvert) {
  checkImage(img, "mnistStyle");
  if (size < 1 || size > 4096) {
    usageError("mnistStyle: expected a size in 1..4096, found " +
               std::to_string(size));
  }
  constexpr int kField = 28, kBox = 20;
  const size_t n = img.pixels.size();
  std::vector<float> zeros(static_cast<size_t>(size) * size, 0.0f);

  // 1. Invert light backgrounds; 2. stretch background..max to 0..1.
  uint64_t sum = 0;
  for (uint8_t p : img.pixels) sum += p;
  const bool invert = autoInvert && sum > uint64_t{127} * n;
  size_t hist[256] = {};
  for (uint8_t p : img.pixels) ++hist[invert ? 255 - p : p];
  int median = 0, maxv = 0;
  size_t seen = 0;
  for (int v = 0; v < 256; ++v) {
    if (seen < (n + 1) / 2) {
      seen += hist[v];
      median = v;
    }
    if (hist[v]) maxv = v;
  }
  if (maxv <= median) return zeros;
  std::vector<float> f(n);
  for (size_t i = 0; i < n; ++i) {
    int v = invert ? 255 - img.pixels[i] : img.pixels[i];
    f[i] = std::max(0.0f, static_cast<float>(v - median) / (maxv - median));
  }

  // 3. Bounding box of the ink, scaled to fit 20x20.
  int x0 = img.width, y0 = img.height, x1 = -1, y1 = -1;
  for (int y = 0; y < img.height; ++y) {
    for (int x = 0; x < img.width; ++x) {
      if (f[static_cast<size_t>(y) * img.width + x] > 0.2f) {
        x0 = std::min(x0, x);
        x1 = std::max(x1, x);
        y0 = std::min(y0, y);
        y1 = std::max(y1, y);
      }
    }
  }
  if (x1 < 0) return zeros;
  const int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  std::vector<float> crop(static_cast<size_t>(bw) * bh);
  for (int y = 0; y < bh; ++y) {
    for (int x = 0; x < bw; ++x) {
      crop[static_cast<size_t>(y) * bw + x] =
          f[static_cast<size_t>(y + y0) * img.width + (x + x0)];
    }
  }
  const double s = static_cast<double>(kBox) / std::max(bw, bh);
  const int nw = std::clamp(static_cast<int>(std::lround(bw * s)), 1, kBox);
  const int nh = std::clamp(static_cast<int>(std::lround(bh * s)), 1, kBox);
  std::vector<float> box = resizePlane(crop, bw, bh, nw, nh);

  // 4. Centre of mass to the centre of the 28x28 field.
  double mass = 0.0, mx = 0.0, my = 0.0;
  for (int y = 0; y < nh; ++y) {
    for (int x = 0; x < nw; ++x) {
      double v = box[static_cast<size_t>(y) * nw + x];
      mass += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  }
  if (mass <= 0.0) return zeros;
  const int ox = std::clamp(static_cast<int>(std::lround(kField / 2.0 - mx / mass)),
                            0, kField - nw);
  const int oy = std::clamp(static_cast<int>(std::lround(kField / 2.0 - my / mass)),
                            0, kField - nh);
  std::vector<float> field(kField * kField, 0.0f);
  for (int y = 0; y < nh; ++y) {
    for (int x = 0; x < nw; ++x) {
      field[(y + oy) * kField + (x + ox)] =
          std::clamp(box[static_cast<size_t>(y) * nw + x], 0.0f, 1.0f);
    }
  }

  // 5. Pad (or shrink) to size x size.
  if (size < kField) {
    std::vector<float> small = resizePlane(field, kField, kField, size, size);
    for (float& v : small) v = std::clamp(v, 0.0f, 1.0f);
    return small;
  }
  const int pad = (size - kField) / 2;
  for (int y = 0; y < kField; ++y) {
    std::copy_n(field.begin() + y * kField, kField,
                zeros.begin() + static_cast<size_t>(y + pad) * size + pad);
  }
  return zeros;
}

std::vector<float> rawResized(const GrayImage& img, int size) {
  GrayImage r = resizeTo(img, size, size);
  std::vector<float> out(r.pixels.size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = float(r.pixels[i]) / 255.f;
  return out;
}

}  // namespace tapeflow::data
