// tests/train/data/image_formats_test.cpp - formats predict decodes
// (interlaced PNG, JPEG, BMP, written here by stb_image_write) and the
// preprocessing `predict` applies to a photographed-looking digit, with and
// without --raw.
#include "core/error.h"
#include "tests/support/scratch_dir.h"
#include "train/data/image_reader.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wpedantic"
#endif
#include <stb/stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace tapeflow::data {
namespace {

using Bytes = std::vector<uint8_t>;

void appendTo(void* ctx, void* data, int size) {
  auto* out = static_cast<Bytes*>(ctx);
  const auto* p = static_cast<const uint8_t*>(data);
  out->insert(out->end(), p, p + size);
}

Bytes jpeg(const Bytes& grey, int w, int h, int quality) {
  Bytes out;
  EXPECT_TRUE(
      stbi_write_jpg_to_func(appendTo, &out, w, h, 1, grey.data(), quality));
  return out;
}

void putBe32(Bytes& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(v >> s));
}

Bytes chunk(const std::string& type, const Bytes& data) {
  Bytes c;
  c.reserve(12 + data.size());  // length, type, data, crc
  putBe32(c, uint32_t(data.size()));
  c.insert(c.end(), type.begin(), type.end());
  c.insert(c.end(), data.begin(), data.end());
  uLong crc = crc32(0L, c.data() + 4, 4);
  if (!data.empty()) crc = crc32(crc, data.data(), uInt(data.size()));
  putBe32(c, uint32_t(crc));
  return c;
}

/// An 8-bit grey Adam7-interlaced PNG (filter 0 on every pass row).
Bytes interlacedPng(const Bytes& px, int w, int h) {
  const int x0[7] = {0, 4, 0, 2, 0, 1, 0}, y0[7] = {0, 0, 4, 0, 2, 0, 1};
  const int dx[7] = {8, 8, 4, 4, 2, 2, 1}, dy[7] = {8, 8, 8, 4, 4, 2, 2};
  Bytes raw;
  for (int p = 0; p < 7; ++p)
    for (int y = y0[p]; y < h; y += dy[p]) {
      if (x0[p] >= w) break;
      raw.push_back(0);
      for (int x = x0[p]; x < w; x += dx[p])
        raw.push_back(px[size_t(y * w + x)]);
    }
  uLongf len = compressBound(uLong(raw.size()));
  Bytes z(len);
  EXPECT_EQ(compress2(z.data(), &len, raw.data(), uLong(raw.size()), 9), Z_OK);
  z.resize(len);
  Bytes ihdr;
  putBe32(ihdr, uint32_t(w));
  putBe32(ihdr, uint32_t(h));
  for (uint8_t b : {8, 0, 0, 0, 1}) ihdr.push_back(b);  // depth 8, grey, Adam7
  Bytes png = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  for (const Bytes& c :
       {chunk("IHDR", ihdr), chunk("IDAT", z), chunk("IEND", {})})
    png.insert(png.end(), c.begin(), c.end());
  return png;
}

Bytes pattern(int w, int h) {
  Bytes px(size_t(w * h));
  for (int i = 0; i < w * h; ++i)
    px[size_t(i)] = uint8_t((i * 37 + i / w * 11) % 256);
  return px;
}

TEST(ImageFormatsTest, DecodesInterlacedPng) {
  for (auto [w, h] : {std::pair{13, 9}, {1, 1}, {3, 17}}) {
    Bytes px = pattern(w, h);
    Bytes png = interlacedPng(px, w, h);
    GrayImage img = decodeImage(png.data(), png.size(), "i.png");
    EXPECT_EQ(img.width, w);
    EXPECT_EQ(img.height, h);
    EXPECT_EQ(img.pixels, px) << w << "x" << h;
  }
}

TEST(ImageFormatsTest, DecodesJpegAndBmp) {
  const int w = 24, h = 16;
  Bytes px(size_t(w * h));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      px[size_t(y * w + x)] = uint8_t(x * 10);  // a smooth ramp
  Bytes j = jpeg(px, w, h, 95);
  GrayImage a = decodeImage(j.data(), j.size(), "r.jpg");
  ASSERT_EQ(a.width, w);
  ASSERT_EQ(a.height, h);
  for (size_t i = 0; i < px.size(); ++i)
    EXPECT_NEAR(a.pixels[i], px[i], 8) << i;
  Bytes bmp;
  std::vector<uint8_t> rgb;
  for (uint8_t v : px) rgb.insert(rgb.end(), {v, v, uint8_t(255 - v)});
  ASSERT_TRUE(stbi_write_bmp_to_func(appendTo, &bmp, w, h, 3, rgb.data()));
  GrayImage b = decodeImage(bmp.data(), bmp.size(), "r.bmp");
  ASSERT_EQ(b.width, w);
  for (size_t i = 0; i < px.size(); ++i)  // 0.299 R + 0.587 G + 0.114 B
    EXPECT_NEAR(b.pixels[i], 0.886 * px[i] + 0.114 * (255 - px[i]), 1.0) << i;
}

TEST(ImageFormatsTest, BmpShorterThanItsHeaderSaysIsAnError) {
  const int w = 5, h = 3;
  std::vector<uint8_t> rgb(size_t(w * h * 3), 90);
  Bytes bmp;
  ASSERT_TRUE(stbi_write_bmp_to_func(appendTo, &bmp, w, h, 3, rgb.data()));
  ASSERT_NO_THROW(decodeImage(bmp.data(), bmp.size(), "ok.bmp"));
  auto errorOf = [](const Bytes& b) {
    try {
      decodeImage(b.data(), b.size(), "short.bmp");
    } catch (const DataError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  // The last row cut short: stb_image would read zeros past the end.
  Bytes cut(bmp.begin(), bmp.end() - 4);
  EXPECT_NE(errorOf(cut).find("short.bmp: error: truncated BMP"),
            std::string::npos)
      << errorOf(cut);
  // A width of 16,187,397 in the same bytes (what a fuzzer found: 48
  // megapixels decoded from 72 bytes, 20 s of conversion).
  Bytes wide = bmp;
  wide[20] = 0xF7;
  const std::string e = errorOf(wide);
  EXPECT_NE(e.find("declares 16187397x3 pixels at 24 bits"), std::string::npos)
      << e;
}

TEST(ImageFormatsTest, RejectsHugeJpegBeforeDecoding) {
  Bytes j = jpeg(Bytes(64, 128), 8, 8, 90);
  // The SOF0 frame header holds height and width after its marker FF C0.
  for (size_t i = 0; i + 8 < j.size(); ++i)
    if (j[i] == 0xFF && j[i + 1] == 0xC0) {
      j[i + 5] = j[i + 7] = 0x4E;  // 20000 x 20000: 400 megapixels
      j[i + 6] = j[i + 8] = 0x20;
      break;
    }
  try {
    decodeImage(j.data(), j.size(), "huge.jpg");
    ADD_FAILURE() << "no exception";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("image too large"), std::string::npos)
        << e.what();
  }
  Bytes cut(j.begin(), j.begin() + long(j.size() / 2));
  EXPECT_THROW(decodeImage(cut.data(), cut.size(), "cut.jpg"), DataError);
}

/// A dark "7" on a light, unevenly lit, noisy, blurred 200x200 background,
/// off-centre, as a phone photo of a digit on paper looks; JPEG-encoded.
Bytes photographedSeven() {
  const int n = 200;
  std::vector<float> v(size_t(n * n));
  uint32_t seed = 12345;
  auto noise = [&] {
    seed = seed * 1664525u + 1013904223u;
    return float(seed >> 8) / float(1 << 24) - 0.5f;
  };
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      float light =
          215.f - 0.15f * float(x) - 0.1f * float(y);  // uneven lighting
      v[size_t(y * n + x)] = light + 30.f * noise();
    }
  auto ink = [&](int x, int y) {
    for (int dy = -6; dy <= 6; ++dy)
      for (int dx = -6; dx <= 6; ++dx) {
        int px = x + dx, py = y + dy;
        if (px >= 0 && py >= 0 && px < n && py < n && dx * dx + dy * dy <= 36)
          v[size_t(py * n + px)] = 45.f + 20.f * noise();
      }
  };
  for (int x = 40; x <= 110; ++x) ink(x, 40);                      // the bar
  for (int t = 0; t <= 100; ++t) ink(110 - t * 45 / 100, 40 + t);  // the stem
  std::vector<float> b(v.size());  // 5x5 box blur: the camera's softness
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      float s = 0;
      int c = 0;
      for (int dy = -2; dy <= 2; ++dy)
        for (int dx = -2; dx <= 2; ++dx)
          if (x + dx >= 0 && y + dy >= 0 && x + dx < n && y + dy < n) {
            s += v[size_t((y + dy) * n + x + dx)];
            ++c;
          }
      b[size_t(y * n + x)] = s / float(c);
    }
  Bytes px(b.size());
  for (size_t i = 0; i < b.size(); ++i)
    px[i] = uint8_t(std::clamp(b[i], 0.f, 255.f) + 0.5f);
  return jpeg(px, n, n, 85);
}

TEST(ImageFormatsTest, PredictPreprocessingCentresAPhotographedDigit) {
  testing::ScratchDir dir("photo");
  std::string path = dir.path() + "/seven.jpg";
  Bytes j = photographedSeven();
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(j.data()),
             std::streamsize(j.size()));
  GrayImage img = readImage(path);
  ASSERT_EQ(img.width, 200);
  for (int size : {28, 32}) {
    std::vector<float> x = mnistStyle(img, size, true);
    ASSERT_EQ(x.size(), size_t(size * size));
    double mass = 0, mx = 0, my = 0, peak = 0;
    int bright = 0, dark = 0;
    for (int r = 0; r < size; ++r)
      for (int c = 0; c < size; ++c) {
        double p = x[size_t(r * size + c)];
        mass += p;
        mx += p * (c + 0.5);
        my += p * (r + 0.5);
        peak = std::max(peak, p);
        bright += p > 0.5;
        dark += p < 0.1;
      }
    ASSERT_GT(mass, 0);
    // Bright digit on a dark background, as in MNIST.
    EXPECT_GE(peak, 0.9) << size;
    EXPECT_GT(dark, size * size * 6 / 10) << size;  // the paper, noise and all
    EXPECT_GT(bright, size * size / 40) << size;
    EXPECT_LT(bright, size * size / 3) << size;
    // Centred by mass in the 28x28 field (padded by (size - 28) / 2).
    EXPECT_NEAR(mx / mass, size / 2.0, 1.0) << size;
    EXPECT_NEAR(my / mass, size / 2.0, 1.0) << size;
  }
}

TEST(ImageFormatsTest, RawOnlyResizes) {
  Bytes j = photographedSeven();
  GrayImage img = decodeImage(j.data(), j.size(), "seven.jpg");
  std::vector<float> raw = rawResized(img, 28);
  GrayImage small = resizeTo(img, 28, 28);
  ASSERT_EQ(raw.size(), small.pixels.size());
  double mean = 0;
  for (size_t i = 0; i < raw.size(); ++i) {
    EXPECT_FLOAT_EQ(raw[i], float(small.pixels[i]) / 255.f);
    mean += raw[i];
  }
  EXPECT_GT(mean / double(raw.size()), 0.5);  // still light: not inverted
}

}  // namespace
}  // namespace tapeflow::data
