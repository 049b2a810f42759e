// tests/train/data/image_reader_test.cpp - PNG/PGM/PPM decoding (every colour
// type, depth and filter, written by a small encoder below; JPEG, BMP and
// interlaced PNG in image_formats_test.cpp), malformed files,
// resizing and MNIST-style preprocessing.
#include "train/data/image_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/error.h"
#include "tests/support/scratch_dir.h"

namespace tapeflow::data {
namespace {

using Bytes = std::vector<uint8_t>;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// ---- a minimal PNG encoder -------------------------------------------------

void putBe32(Bytes& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(v >> s));
}

Bytes chunk(const std::string& type, const Bytes& data) {
  Bytes c;
  c.reserve(12 + data.size());  // length, type, data, crc
  putBe32(c, static_cast<uint32_t>(data.size()));
  c.insert(c.end(), type.begin(), type.end());
  c.insert(c.end(), data.begin(), data.end());
  uLong crc = crc32(0L, c.data() + 4, static_cast<uInt>(4 + data.size()));
  putBe32(c, static_cast<uint32_t>(crc));
  return c;
}

int paethPredictor(int a, int b, int c) {
  int p = a + b - c;
  int pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

struct PngSpec {
  uint32_t width = 0, height = 0;
  int depth = 8, colorType = 0, interlace = 0;
  Bytes plte, trns;
  std::vector<int> filters;  ///< filter type per row, cycled; {0} if empty
  int idatChunks = 1;        ///< the zlib stream split over this many IDATs

  int channels() const {
    return colorType == 2 ? 3 : colorType == 4 ? 2 : colorType == 6 ? 4 : 1;
  }
  size_t rowBytes() const {
    return (size_t{width} * channels() * depth + 7) / 8;
  }
};

Bytes ihdr(const PngSpec& s) {
  Bytes d;
  putBe32(d, s.width);
  putBe32(d, s.height);
  d.push_back(static_cast<uint8_t>(s.depth));
  d.push_back(static_cast<uint8_t>(s.colorType));
  d.push_back(0);
  d.push_back(0);
  d.push_back(static_cast<uint8_t>(s.interlace));
  return d;
}

/// The filtered scanlines (filter byte + row) of packed rows.
Bytes filterRows(const PngSpec& s, const Bytes& rows) {
  const size_t rb = s.rowBytes();
  const size_t bpp = std::max<size_t>(1, size_t(s.channels()) * s.depth / 8);
  Bytes out;
  for (uint32_t y = 0; y < s.height; ++y) {
    int ft = s.filters.empty() ? 0 : s.filters[y % s.filters.size()];
    out.push_back(static_cast<uint8_t>(ft));
    const uint8_t* cur = rows.data() + y * rb;
    const uint8_t* prev = y ? cur - rb : nullptr;
    for (size_t i = 0; i < rb; ++i) {
      int a = i >= bpp ? cur[i - bpp] : 0;
      int b = prev ? prev[i] : 0;
      int c = prev && i >= bpp ? prev[i - bpp] : 0;
      int pred = ft == 1 ? a : ft == 2 ? b : ft == 3 ? (a + b) / 2
               : ft == 4 ? paethPredictor(a, b, c) : 0;
      out.push_back(static_cast<uint8_t>(cur[i] - pred));
    }
  }
  return out;
}

Bytes zlibCompress(const Bytes& raw) {
  uLongf len = compressBound(static_cast<uLong>(raw.size()));
  Bytes z(len);
  EXPECT_EQ(compress2(z.data(), &len, raw.data(),
                      static_cast<uLong>(raw.size()), 9),
            Z_OK);
  z.resize(len);
  return z;
}

const Bytes kSignature = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};

/// A PNG of `rows` (packed samples, rowBytes per row) as specified.
Bytes encodePng(const PngSpec& s, const Bytes& rows) {
  Bytes png = kSignature;
  auto add = [&](const Bytes& c) { png.insert(png.end(), c.begin(), c.end()); };
  add(chunk("IHDR", ihdr(s)));
  add(chunk("tEXt", Bytes{'C', 'o', 'm', 'm', 'e', 'n', 't', 0, 'x'}));
  if (!s.plte.empty()) add(chunk("PLTE", s.plte));
  if (!s.trns.empty()) add(chunk("tRNS", s.trns));
  Bytes z = zlibCompress(filterRows(s, rows));
  size_t parts = static_cast<size_t>(std::max(1, s.idatChunks));
  size_t step = (z.size() + parts - 1) / parts;
  for (size_t off = 0; off < z.size(); off += step) {
    size_t end = std::min(z.size(), off + step);
    add(chunk("IDAT", Bytes(z.begin() + off, z.begin() + end)));
  }
  add(chunk("IEND", {}));
  return png;
}

/// Packs samples (one per channel per pixel) at depth bits into rows.
Bytes pack(const PngSpec& s, const std::vector<uint32_t>& samples) {
  Bytes rows(s.rowBytes() * s.height, 0);
  const size_t perRow = size_t{s.width} * s.channels();
  for (uint32_t y = 0; y < s.height; ++y) {
    uint8_t* row = rows.data() + y * s.rowBytes();
    for (size_t i = 0; i < perRow; ++i) {
      uint32_t v = samples[y * perRow + i];
      if (s.depth == 16) {
        row[2 * i] = static_cast<uint8_t>(v >> 8);
        row[2 * i + 1] = static_cast<uint8_t>(v);
      } else if (s.depth == 8) {
        row[i] = static_cast<uint8_t>(v);
      } else {
        size_t bit = i * s.depth;
        row[bit / 8] |= static_cast<uint8_t>(v << (8 - s.depth - bit % 8));
      }
    }
  }
  return rows;
}

/// A deterministic pattern of w*h*ch samples below 2^depth.
std::vector<uint32_t> pattern(size_t count, int depth, uint32_t seed = 7) {
  std::vector<uint32_t> v(count);
  uint32_t x = seed;
  for (auto& s : v) {
    x = x * 1664525u + 1013904223u;
    s = (x >> 8) & ((1u << depth) - 1u);
  }
  return v;
}

uint8_t lumaByte(double r, double g, double b) {
  return static_cast<uint8_t>(std::lround(0.299 * r + 0.587 * g + 0.114 * b));
}

uint8_t scaled(uint32_t v, uint32_t maxval) {
  return static_cast<uint8_t>(std::lround(v * 255.0 / maxval));
}

// ---- fixture and helpers ---------------------------------------------------

class ImageReaderTest : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const Bytes& b) {
    std::string p = dir_ + "/" + name;
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(b.data()),
            static_cast<std::streamsize>(b.size()));
    EXPECT_TRUE(f.good()) << p;
    return p;
  }
  std::string write(const std::string& name, const std::string& s) {
    return write(name, Bytes(s.begin(), s.end()));
  }

  /// Expects readImage(path of b) to throw DataError naming the file and
  /// containing every part.
  void expectBad(const Bytes& b, std::initializer_list<std::string> parts) {
    std::string p = write("bad.img", b);
    try {
      readImage(p);
      ADD_FAILURE() << "no exception thrown";
    } catch (const DataError& e) {
      EXPECT_THAT(e.what(), StartsWith(p + ": error: "));
      for (const std::string& part : parts) {
        EXPECT_THAT(e.what(), HasSubstr(part));
      }
      EXPECT_EQ(e.loc().file, p);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "wrong exception type: " << e.what();
    }
  }
  void expectBad(const std::string& s,
                 std::initializer_list<std::string> parts) {
    expectBad(Bytes(s.begin(), s.end()), parts);
  }

  testing::ScratchDir scratch_{"image_reader_test"};
  const std::string dir_ = scratch_.path();
};

/// A grey 8-bit PNG spec of w x h.
PngSpec grey8(uint32_t w, uint32_t h) {
  PngSpec s;
  s.width = w;
  s.height = h;
  return s;
}

// ---- PGM / PPM -------------------------------------------------------------

TEST_F(ImageReaderTest, ReadsBinaryPgmWithComments) {
  Bytes b;
  std::string hdr = "P5\n# a comment\n3 # width\n2\n255\n";
  b.assign(hdr.begin(), hdr.end());
  Bytes px = {0, 10, 20, 250, 251, 255};
  b.insert(b.end(), px.begin(), px.end());
  GrayImage img = readImage(write("a.pgm", b));
  EXPECT_EQ(img.width, 3);
  EXPECT_EQ(img.height, 2);
  EXPECT_EQ(img.pixels, px);
  EXPECT_EQ(img.at(2, 1), 255);
}

TEST_F(ImageReaderTest, ReadsAsciiPgmAndScalesMaxval) {
  GrayImage img = readImage(write("a.pgm", "P2 2 2 15\n0 15\n  7 8\n"));
  EXPECT_EQ(img.pixels, (Bytes{0, 255, scaled(7, 15), scaled(8, 15)}));
}

TEST_F(ImageReaderTest, ScalesSixteenBitPgmDown) {
  std::string hdr = "P5 3 1 65535\n";
  Bytes b(hdr.begin(), hdr.end());
  for (uint32_t v : {0u, 32768u, 65535u}) {
    b.push_back(static_cast<uint8_t>(v >> 8));
    b.push_back(static_cast<uint8_t>(v));
  }
  EXPECT_EQ(readImage(write("a.pgm", b)).pixels, (Bytes{0, 128, 255}));
  GrayImage ascii = readImage(write("b.pgm", "P2 2 1 1000 1000 500"));
  EXPECT_EQ(ascii.pixels, (Bytes{255, scaled(500, 1000)}));
}

TEST_F(ImageReaderTest, ConvertsPpmToGrey) {
  std::string hdr = "P6 2 1 255\n";
  Bytes b(hdr.begin(), hdr.end());
  Bytes rgb = {255, 0, 0, 10, 200, 30};
  b.insert(b.end(), rgb.begin(), rgb.end());
  EXPECT_EQ(readImage(write("a.ppm", b)).pixels,
            (Bytes{lumaByte(255, 0, 0), lumaByte(10, 200, 30)}));
  EXPECT_EQ(readImage(write("b.ppm", "P3 1 1 255 0 0 255")).pixels,
            (Bytes{lumaByte(0, 0, 255)}));
}

TEST_F(ImageReaderTest, AllowsTrailingWhitespaceOnly) {
  EXPECT_EQ(readImage(write("a.pgm", "P2 1 1 255 9 \n\n")).pixels, Bytes{9});
  expectBad("P2 1 1 255 9 10", {"trailing data", "expected the file to end"});
  expectBad("P5 1 1 255\n\x09xyz", {"trailing data", "found 3 more bytes"});
}

TEST_F(ImageReaderTest, RejectsMalformedPgm) {
  expectBad("P5 3 2 255\n\x01\x02", {"truncated data", "expected 6 bytes",
                                     "found 2"});
  expectBad("P5 3", {"truncated file", "expected height"});
  expectBad("P5 3 2", {"truncated file", "expected maxval"});
  expectBad("P5 3 2 255", {"expected one whitespace byte after maxval"});
  expectBad("P5 0 2 255\n", {"expected an image of at least 1x1", "0x2"});
  expectBad("P5 3 2 0\n", {"expected maxval in 1..65535, found 0"});
  expectBad("P5 3 2 65536\n", {"expected maxval in 1..65535, found 65536"});
  expectBad("P5 3x 2 255\n", {"expected whitespace after width"});
  expectBad("P5 - 2 255\n", {"expected width (a decimal number)"});
  expectBad("P5 99999999999999999999 1 255\n", {"expected width of at most"});
  expectBad("P5 10000 10000 255\n", {"image too large", "10000x10000"});
  expectBad("P2 2 1 255 3", {"truncated data", "expected 2 pixel values",
                             "found 1"});
  expectBad("P2 2 1 100 3 101", {"pixel (1, 0)", "<= maxval 100",
                                 "found 101"});
  expectBad("P2 2 1 100 3 z", {"a pixel value", "found byte 0x7A"});
  expectBad("P5 1 1 300\n\x01", {"truncated data", "expected 2 bytes"});
}

// ---- PNG: every colour type, depth and filter ------------------------------

/// Replaces the first chunk named `type` of a PNG with `replacement`.
Bytes replaceChunk(const Bytes& png, const std::string& type,
                   const Bytes& replacement) {
  size_t pos = 8;
  while (pos + 8 <= png.size()) {
    uint32_t len = (uint32_t{png[pos]} << 24) | (uint32_t{png[pos + 1]} << 16) |
                   (uint32_t{png[pos + 2]} << 8) | png[pos + 3];
    if (std::string(png.begin() + pos + 4, png.begin() + pos + 8) == type) {
      Bytes out(png.begin(), png.begin() + pos);
      out.insert(out.end(), replacement.begin(), replacement.end());
      out.insert(out.end(), png.begin() + pos + 12 + len, png.end());
      return out;
    }
    pos += 12 + len;
  }
  ADD_FAILURE() << "no chunk " << type;
  return png;
}

/// A PNG whose IHDR says `hdr` and whose data is `scanlines` (filter bytes
/// included), compressed as given.
Bytes rawPng(const PngSpec& hdr, const Bytes& scanlines) {
  Bytes png = kSignature;
  for (const Bytes& c : {chunk("IHDR", ihdr(hdr)),
                         chunk("IDAT", zlibCompress(scanlines)),
                         chunk("IEND", {})}) {
    png.insert(png.end(), c.begin(), c.end());
  }
  return png;
}


TEST_F(ImageReaderTest, ReadsGreyPngWithEveryFilter) {
  for (int ft = 0; ft <= 4; ++ft) {
    PngSpec s = grey8(13, 7);
    s.filters = {ft};
    std::vector<uint32_t> v = pattern(13 * 7, 8, 11 + ft);
    GrayImage img = readImage(write("g.png", encodePng(s, pack(s, v))));
    EXPECT_EQ(img.width, 13);
    EXPECT_EQ(img.height, 7);
    EXPECT_EQ(img.pixels, Bytes(v.begin(), v.end())) << "filter " << ft;
  }
  PngSpec mixed = grey8(9, 10);
  mixed.filters = {4, 0, 3, 1, 2};
  mixed.idatChunks = 3;
  std::vector<uint32_t> v = pattern(90, 8);
  EXPECT_EQ(readImage(write("m.png", encodePng(mixed, pack(mixed, v)))).pixels,
            Bytes(v.begin(), v.end()));
}

TEST_F(ImageReaderTest, ReadsImagesLargerThanTheFirstBuffer) {
  PngSpec s = grey8(1500, 1000);  // 1.5 MB of scanlines, several IDATs
  s.filters = {1, 4};
  s.idatChunks = 5;
  std::vector<uint32_t> v = pattern(1500 * 1000, 8);
  GrayImage img = readImage(write("big.png", encodePng(s, pack(s, v))));
  EXPECT_EQ(img.pixels, Bytes(v.begin(), v.end()));
  // A large declared image with little data is rejected, not allocated.
  PngSpec large = grey8(8192, 8192);
  expectBad(rawPng(large, Bytes(100, 0)), {"cannot decode the PNG image: Corrupt PNG"});
}

TEST_F(ImageReaderTest, ReadsLowAndHighBitDepthGrey) {
  for (int depth : {1, 2, 4, 16}) {
    PngSpec s = grey8(11, 3);
    s.depth = depth;
    s.filters = {0, 1, 4};
    std::vector<uint32_t> v = pattern(33, depth);
    GrayImage img = readImage(write("d.png", encodePng(s, pack(s, v))));
    ASSERT_EQ(img.pixels.size(), 33u);
    for (size_t i = 0; i < v.size(); ++i) {
      EXPECT_EQ(img.pixels[i], scaled(v[i], (1u << depth) - 1))
          << "depth " << depth << " pixel " << i;
    }
  }
}

TEST_F(ImageReaderTest, ConvertsRgbAndRgb16ToGrey) {
  for (int depth : {8, 16}) {
    PngSpec s = grey8(5, 4);
    s.colorType = 2;
    s.depth = depth;
    s.filters = {1, 2, 3, 4};
    std::vector<uint32_t> v = pattern(5 * 4 * 3, depth);
    GrayImage img = readImage(write("c.png", encodePng(s, pack(s, v))));
    double m = (1u << depth) - 1;
    for (size_t i = 0; i < 20; ++i) {
      EXPECT_NEAR(img.pixels[i],
                  lumaByte(v[3 * i] * 255 / m, v[3 * i + 1] * 255 / m,
                           v[3 * i + 2] * 255 / m),
                  1)
          << "depth " << depth << " pixel " << i;
    }
  }
}

TEST_F(ImageReaderTest, ReadsPaletteImagesOfEveryDepth) {
  for (int depth : {1, 2, 4, 8}) {
    PngSpec s = grey8(10, 3);
    s.colorType = 3;
    s.depth = depth;
    s.filters = {2};
    const uint32_t entries = 1u << depth;
    for (uint32_t e = 0; e < entries; ++e) {
      s.plte.push_back(static_cast<uint8_t>(e * 37));
      s.plte.push_back(static_cast<uint8_t>(255 - e));
      s.plte.push_back(static_cast<uint8_t>(e * 5));
    }
    std::vector<uint32_t> v = pattern(30, depth);
    GrayImage img = readImage(write("p.png", encodePng(s, pack(s, v))));
    for (size_t i = 0; i < v.size(); ++i) {
      const uint8_t* c = s.plte.data() + 3 * v[i];
      EXPECT_EQ(img.pixels[i], lumaByte(c[0], c[1], c[2]))
          << "depth " << depth << " pixel " << i;
    }
  }
}

TEST_F(ImageReaderTest, CompositesLightInkOnBlack) {
  // White strokes with varying alpha on a transparent canvas (grey+alpha and
  // RGBA): the background becomes black, as in MNIST.
  PngSpec ga = grey8(3, 1);
  ga.colorType = 4;
  GrayImage a = readImage(write("ga.png",
                                encodePng(ga, pack(ga, {255, 255, 255, 0,
                                                        200, 128}))));
  EXPECT_EQ(a.pixels, (Bytes{255, 0, scaled(200 * 128, 255 * 255)}));
  PngSpec rgba = grey8(2, 1);
  rgba.colorType = 6;
  GrayImage b = readImage(write(
      "rgba.png", encodePng(rgba, pack(rgba, {250, 250, 250, 255,
                                              9, 9, 9, 0}))));
  EXPECT_EQ(b.pixels, (Bytes{250, 0}));
}

TEST_F(ImageReaderTest, CompositesDarkInkOnWhite) {
  // Black strokes on a transparent canvas stay visible: white background.
  PngSpec ga = grey8(3, 1);
  ga.colorType = 4;
  GrayImage a = readImage(write("ga.png", encodePng(ga, pack(ga, {0, 255,
                                                                  0, 0,
                                                                  0, 0}))));
  EXPECT_EQ(a.pixels, (Bytes{0, 255, 255}));
  // Palette tRNS: entry 1 transparent, entry 0 opaque black.
  PngSpec p = grey8(2, 1);
  p.colorType = 3;
  p.plte = {0, 0, 0, 255, 255, 255};
  p.trns = {255, 0};
  EXPECT_EQ(readImage(write("p.png", encodePng(p, pack(p, {0, 1})))).pixels,
            (Bytes{0, 255}));
  // Grey tRNS: the key colour 200 is transparent, the light ink 230 stays.
  PngSpec g = grey8(2, 1);
  g.trns = {0, 200};
  EXPECT_EQ(readImage(write("g.png", encodePng(g, pack(g, {230, 200})))).pixels,
            (Bytes{230, 0}));
  // RGB tRNS.
  PngSpec c = grey8(2, 1);
  c.colorType = 2;
  c.trns = {0, 1, 0, 2, 0, 3};
  EXPECT_EQ(readImage(write("c.png", encodePng(c, pack(c, {10, 10, 10,
                                                           1, 2, 3})))).pixels,
            (Bytes{10, 255}));
}

TEST_F(ImageReaderTest, DetectsFormatByMagicNotByName) {
  PngSpec s = grey8(2, 2);
  Bytes png = encodePng(s, pack(s, {1, 2, 3, 4}));
  EXPECT_EQ(readImage(write("really_png.pgm", png)).pixels,
            (Bytes{1, 2, 3, 4}));
  EXPECT_EQ(readImage(write("really_pgm.png", "P2 1 1 255 77")).pixels,
            Bytes{77});
  EXPECT_EQ(decodeImage(png.data(), png.size(), "mem").pixels,
            (Bytes{1, 2, 3, 4}));
}

// ---- PNG: malformed files --------------------------------------------------

TEST_F(ImageReaderTest, RejectsEveryTruncation) {
  PngSpec s = grey8(6, 5);
  s.filters = {4};
  Bytes png = encodePng(s, pack(s, pattern(30, 8)));
  for (size_t n = 0; n < png.size(); ++n) {
    SCOPED_TRACE("truncated to " + std::to_string(n) + " bytes");
    std::string p = write("t.png", Bytes(png.begin(), png.begin() + n));
    EXPECT_THROW(readImage(p), DataError);
  }
  expectBad(Bytes(png.begin(), png.end() - 12),
            {"truncated file", "no IEND chunk", "found end of file"});
  expectBad(Bytes(png.begin(), png.end() - 3),
            {"truncated chunk 'IEND'", "expected 0 data bytes and a 4-byte CRC",
             "found 1 bytes"});
}

TEST_F(ImageReaderTest, RejectsBadChunkCrc) {
  PngSpec s = grey8(4, 4);
  Bytes png = encodePng(s, pack(s, pattern(16, 8)));
  Bytes bad = png;
  bad[bad.size() - 12 - 6] ^= 0x01;  // last byte of IDAT data
  expectBad(bad, {"chunk 'IDAT'", "is corrupt", "expected CRC 0x",
                  "found 0x"});
  Bytes badHdr = png;
  badHdr[8 + 8 + 3] ^= 0x02;  // width low byte
  expectBad(badHdr, {"chunk 'IHDR' at offset 8 is corrupt"});
}

TEST_F(ImageReaderTest, RejectsBadHeaders) {
  PngSpec s = grey8(4, 4);
  Bytes png = encodePng(s, pack(s, pattern(16, 8)));
  auto withHeader = [&](PngSpec h) {
    return replaceChunk(png, "IHDR", chunk("IHDR", ihdr(h)));
  };
  PngSpec zero = s;
  zero.width = 0;
  expectBad(withHeader(zero), {"expected an image of at least 1x1",
                               "found 0x4"});
  PngSpec huge = s;
  huge.width = 10000;
  huge.height = 10000;
  expectBad(withHeader(huge), {"image too large", "67108864 pixels",
                               "10000x10000"});
  PngSpec wide = s;
  wide.width = 0x80000000u;
  expectBad(withHeader(wide), {"expected width and height below 2^31"});
  PngSpec rgb4 = s;
  rgb4.colorType = 2;
  rgb4.depth = 4;
  expectBad(withHeader(rgb4), {"cannot decode the PNG image"});
  PngSpec pal16 = s;
  pal16.colorType = 3;
  pal16.depth = 16;
  expectBad(withHeader(pal16), {"cannot decode the PNG image"});
  PngSpec grey3 = s;
  grey3.depth = 3;
  expectBad(withHeader(grey3), {"cannot decode the PNG image"});
  PngSpec type5 = s;
  type5.colorType = 5;
  expectBad(withHeader(type5), {"cannot decode the PNG image"});
  expectBad(replaceChunk(png, "IHDR", chunk("IHDR", Bytes(12, 1))),
            {"bad IHDR: expected 13 bytes, found 12"});
  expectBad(replaceChunk(png, "IHDR", chunk("abcd", Bytes(13, 1))),
            {"expected IHDR as the first chunk, found 'abcd'"});
}

TEST_F(ImageReaderTest, RejectsBadImageData) {
  // NOTE: stb_image accepts extra image data and does not verify zlib's
  // Adler-32 (the chunk CRCs still guard against corruption in transit).
  PngSpec s = grey8(3, 2);
  expectBad(rawPng(s, Bytes{0, 1, 2, 3, 7, 4, 5, 6}), {"cannot decode the PNG image"});
  expectBad(rawPng(s, Bytes{0, 1, 2, 3, 0, 4, 5}), {"cannot decode the PNG image"});
  // A zlib stream cut short, and a corrupt one.
  Bytes z = zlibCompress(Bytes{0, 1, 2, 3, 0, 4, 5, 6});
  Bytes png = rawPng(s, Bytes(8, 0));
  expectBad(replaceChunk(png, "IDAT", chunk("IDAT", Bytes(z.begin(), z.end() - 6))),
            {"cannot decode the PNG image"});
  Bytes corrupt = z;
  corrupt[0] = 0x79;  // bad zlib header check bits
  expectBad(replaceChunk(png, "IDAT", chunk("IDAT", corrupt)), {"cannot decode the PNG image"});
}

TEST_F(ImageReaderTest, RejectsBadChunkStructure) {
  PngSpec s = grey8(2, 2);
  Bytes png = encodePng(s, pack(s, {1, 2, 3, 4}));
  Bytes trailing = png;
  trailing.push_back(0);
  expectBad(trailing, {"trailing data", "found 1 more bytes"});
  expectBad(replaceChunk(png, "IDAT", chunk("tIME", Bytes(7, 0))),
            {"expected at least one IDAT chunk, found none"});
  expectBad(replaceChunk(png, "tEXt", chunk("ZZZZ", {})),
            {"unsupported critical chunk 'ZZZZ'"});
  expectBad(replaceChunk(png, "tEXt", chunk("a1b2", {})),
            {"expected a 4-letter chunk type, found 0x61 31 62 32"});
  Bytes longLen = png;
  longLen[8 + 25] = 0x80;  // the tEXt length's high byte
  expectBad(longLen, {"bad chunk 'tEXt'", "expected a length below 2^31"});

  PngSpec pal = s;
  pal.colorType = 3;
  pal.plte = {0, 0, 0, 9, 9, 9};
  Bytes pp = encodePng(pal, pack(pal, {0, 1, 2, 1}));
  expectBad(replaceChunk(pp, "PLTE", {}), {"cannot decode the PNG image"});
  expectBad(replaceChunk(pp, "PLTE", chunk("PLTE", Bytes(4, 0))), {"cannot decode the PNG image"});
  pal.trns = {1, 2, 3};
  expectBad(encodePng(pal, pack(pal, {0, 1, 1, 1})), {"cannot decode the PNG image"});
  PngSpec rgba = s;
  rgba.colorType = 6;
  rgba.trns = {0, 0};
  expectBad(encodePng(rgba, pack(rgba, pattern(16, 8))), {"cannot decode the PNG image"});
}

TEST_F(ImageReaderTest, RejectsUnknownFormatsAndEmptyFiles) {
  expectBad(Bytes{}, {"expected a PNG, JPEG, BMP, PGM or PPM image, found an empty file"});
  expectBad(Bytes{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10}, {"cannot decode the JPEG image"});
  expectBad(Bytes{'B', 'M', 0, 0}, {"truncated BMP: expected a 14-byte file header"});
  expectBad(Bytes{'G', 'I', 'F', '8', '9', 'a'},
            {"unsupported image format", "found 47 49 46 38 39 61", "looks like a GIF file"});
  expectBad("P4 1 1\n\x01", {"(a PBM bitmap)"});
  expectBad(Bytes{0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x00},
            {"a damaged PNG signature"});
}

TEST_F(ImageReaderTest, MissingFileOrDirectoryIsIoError) {
  EXPECT_THROW(readImage(dir_ + "/missing.png"), IoError);
  EXPECT_THROW(readImage(dir_), IoError);
  try {
    readImage(dir_ + "/missing.png");
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr("missing.png: error: cannot open"));
  }
}

TEST_F(ImageReaderTest, SurvivesEveryByteFlip) {
  // Every single-byte corruption either decodes or is a DataError; run
  // under the sanitizers this also checks that no bad byte reads or writes
  // out of bounds.
  PngSpec s = grey8(5, 4);
  s.colorType = 3;
  s.depth = 4;
  s.filters = {0, 1, 2, 3, 4};
  for (int e = 0; e < 16; ++e) {
    s.plte.insert(s.plte.end(), {uint8_t(e * 16), uint8_t(e), uint8_t(3 * e)});
  }
  s.trns = {0, 128};
  std::vector<Bytes> files = {encodePng(s, pack(s, pattern(20, 4))),
                              Bytes{'P', '5', ' ', '3', ' ', '2', ' ', '2',
                                    '5', '5', '\n', 1, 2, 3, 4, 5, 6}};
  std::string pgm = "P2 3 1 255\n1 2 3\n";
  files.emplace_back(pgm.begin(), pgm.end());
  int decoded = 0, rejected = 0;
  for (const Bytes& good : files) {
    for (size_t i = 0; i < good.size(); ++i) {
      for (uint8_t flip : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xFF}}) {
        Bytes b = good;
        b[i] ^= flip;
        try {
          GrayImage img = decodeImage(b.data(), b.size(), "flip");
          EXPECT_EQ(img.pixels.size(), size_t(img.width) * img.height);
          ++decoded;
        } catch (const DataError&) {
          ++rejected;
        }
      }
    }
  }
  EXPECT_GT(rejected, 0);
  EXPECT_GT(decoded, 0);
}

// ---- resizing --------------------------------------------------------------

GrayImage makeImage(int w, int h, Bytes px) {
  GrayImage img;
  img.width = w;
  img.height = h;
  img.pixels = std::move(px);
  return img;
}

TEST_F(ImageReaderTest, ResizeAveragesAreasWhenShrinking) {
  GrayImage img = makeImage(4, 2, {0, 100, 200, 200, 100, 100, 0, 50});
  GrayImage half = resizeTo(img, 2, 1);
  EXPECT_EQ(half.width, 2);
  EXPECT_EQ(half.height, 1);
  EXPECT_EQ(half.pixels, (Bytes{75, 113}));  // (0+100+100+100)/4, 450/4
  GrayImage third = resizeTo(makeImage(3, 1, {30, 60, 90}), 2, 1);
  // Output 0 covers source [0, 1.5): (30 + 60/2) / 1.5 = 40.
  EXPECT_EQ(third.pixels, (Bytes{40, 80}));
}

TEST_F(ImageReaderTest, ResizeInterpolatesWhenGrowing) {
  GrayImage wide = resizeTo(makeImage(2, 1, {0, 200}), 4, 1);
  // Centres at source x = -0.25 (clamped), 0.25, 0.75, 1.25 (clamped).
  EXPECT_EQ(wide.pixels, (Bytes{0, 50, 150, 200}));
  GrayImage same = resizeTo(makeImage(2, 2, {1, 2, 3, 4}), 2, 2);
  EXPECT_EQ(same.pixels, (Bytes{1, 2, 3, 4}));
  GrayImage flat = resizeTo(makeImage(3, 5, Bytes(15, 77)), 7, 2);
  EXPECT_EQ(flat.pixels, Bytes(14, 77));
}

TEST_F(ImageReaderTest, ResizeRejectsBadSizes) {
  GrayImage img = makeImage(2, 1, {0, 1});
  EXPECT_THROW(resizeTo(img, 0, 3), UsageError);
  EXPECT_THROW(resizeTo(img, 100000, 100000), UsageError);
  EXPECT_THROW(resizeTo(GrayImage{}, 2, 2), UsageError);
  EXPECT_THROW(resizeTo(makeImage(2, 2, {1}), 2, 2), UsageError);
}

// ---- MNIST-style preprocessing ---------------------------------------------

/// Centre of mass (pixel centres at i + 0.5) and ink bounding box.
struct Stats {
  double cx = 0, cy = 0, mass = 0;
  int x0 = 1 << 30, y0 = 1 << 30, x1 = -1, y1 = -1;
};

Stats stats(const std::vector<float>& v, int size) {
  Stats s;
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      double p = v[static_cast<size_t>(y) * size + x];
      s.mass += p;
      s.cx += p * (x + 0.5);
      s.cy += p * (y + 0.5);
      if (p > 0.0) {
        s.x0 = std::min(s.x0, x);
        s.x1 = std::max(s.x1, x);
        s.y0 = std::min(s.y0, y);
        s.y1 = std::max(s.y1, y);
      }
    }
  }
  s.cx /= s.mass;
  s.cy /= s.mass;
  return s;
}

/// A dark filled w x h rectangle at (x, y) on a light 100 x 80 background.
GrayImage darkRectOnLight(int x, int y, int w, int h) {
  GrayImage img = makeImage(100, 80, Bytes(8000, 240));
  for (int r = y; r < y + h; ++r) {
    for (int c = x; c < x + w; ++c) img.pixels[r * 100 + c] = 20;
  }
  return img;
}

TEST_F(ImageReaderTest, MnistStyleInvertsScalesAndCentres) {
  // A 20 x 40 rectangle in the top-left corner: scaled to 10 x 20, inverted
  // (ink 1, background 0), centred in the 28 x 28 field, padded to 32.
  std::vector<float> v = mnistStyle(darkRectOnLight(5, 3, 20, 40), 32, true);
  ASSERT_EQ(v.size(), 32u * 32u);
  for (float p : v) {
    ASSERT_GE(p, 0.0f);
    ASSERT_LE(p, 1.0f);
  }
  Stats s = stats(v, 32);
  EXPECT_NEAR(s.cx, 16.0, 0.5);
  EXPECT_NEAR(s.cy, 16.0, 0.5);
  EXPECT_EQ(s.x1 - s.x0 + 1, 10);
  EXPECT_EQ(s.y1 - s.y0 + 1, 20);
  EXPECT_FLOAT_EQ(v[16 * 32 + 16], 1.0f);  // ink is bright
  EXPECT_EQ(v[0], 0.0f);                   // background is black
  EXPECT_EQ(v[2 * 32 + 16], 0.0f);         // padding above the 28 field
  EXPECT_NEAR(s.mass, 200.0, 1e-3);
}

TEST_F(ImageReaderTest, MnistStyleCentresByMassNotBox) {
  // An L shape: a 4 x 40 bar plus a 30 x 4 foot. Its centre of mass is
  // about 3.5 output pixels left of and below its box centre; the output
  // puts the mass at the centre, so the box sits right of and above it.
  GrayImage img = makeImage(60, 60, Bytes(3600, 0));
  for (int y = 10; y < 50; ++y) {
    for (int x = 10; x < 14; ++x) img.pixels[y * 60 + x] = 255;
  }
  for (int y = 46; y < 50; ++y) {
    for (int x = 10; x < 40; ++x) img.pixels[y * 60 + x] = 255;
  }
  std::vector<float> v = mnistStyle(img, 28, true);  // dark bg: no invert
  Stats s = stats(v, 28);
  EXPECT_NEAR(s.cx, 14.0, 0.5);
  EXPECT_NEAR(s.cy, 14.0, 0.5);
  EXPECT_EQ(s.y1 - s.y0 + 1, 20);
  EXPECT_NEAR((s.x0 + s.x1 + 1) / 2.0 - 14.0, 3.5, 1.0);
  EXPECT_NEAR(14.0 - (s.y0 + s.y1 + 1) / 2.0, 3.5, 1.0);
}

TEST_F(ImageReaderTest, MnistStyleHandlesBlankAndOtherSizes) {
  std::vector<float> blank = mnistStyle(makeImage(5, 5, Bytes(25, 255)), 32,
                                        true);
  EXPECT_EQ(blank, std::vector<float>(32 * 32, 0.0f));
  std::vector<float> small = mnistStyle(darkRectOnLight(40, 20, 10, 10), 14,
                                        true);
  ASSERT_EQ(small.size(), 14u * 14u);
  Stats s = stats(small, 14);
  EXPECT_NEAR(s.cx, 7.0, 0.5);
  EXPECT_NEAR(s.cy, 7.0, 0.5);
  // Light ink on dark is used as it is, with or without auto-invert.
  GrayImage light = makeImage(30, 30, Bytes(900, 0));
  for (int i = 0; i < 30; ++i) light.pixels[i * 30 + 15] = 255;
  EXPECT_EQ(mnistStyle(light, 32, true), mnistStyle(light, 32, false));
  EXPECT_THROW(mnistStyle(light, 0, true), UsageError);
  EXPECT_THROW(mnistStyle(GrayImage{}, 32, true), UsageError);
}

}  // namespace
}  // namespace tapeflow::data
