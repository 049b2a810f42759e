// tests/fuzz/make_seeds.cpp - writes small, valid seed files for the binary
// formats (no binaries in the repository): binary graphs of the models, IDX
// image and label files (plain and gzipped), a checkpoint, and PNG, JPEG
// (libjpeg: baseline, progressive, CMYK), BMP, PGM and PPM images.
// usage: fuzz_make_seeds SOURCE_DIR OUT_DIR   (creates OUT_DIR/<fuzzer>/...)
#include "core/error.h"
#include "frontends/pbtxt/pbtxt_loader.h"
#include "tests/support/jpeg_encode.h"
#include "train/checkpoint.h"

#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

namespace {

void writeFile(const fs::path& p, const Bytes& b) {
  std::ofstream(p, std::ios::binary)
      .write(reinterpret_cast<const char*>(b.data()),
             std::streamsize(b.size()));
}

/// A w x h JPEG of `comps` samples (1 grey, 3 RGB, 4 CMYK) with a ramp.
Bytes jpeg(int w, int h, int comps, bool progressive) {
  Bytes px(size_t(w * h * comps));
  for (size_t i = 0; i < px.size(); ++i) px[i] = uint8_t(i * 7);
  return tapeflow::testing::encodeJpeg(px, w, h, comps, progressive);
}

/// A 24-bit bottom-up BMP of w x h.
Bytes bmp(uint32_t w, uint32_t h) {
  const uint32_t stride = (3 * w + 3) & ~3u, data = stride * h;
  Bytes b{'B', 'M'};
  auto le = [&b](uint32_t v, int n) {
    for (int i = 0; i < n; ++i) b.push_back(uint8_t(v >> (8 * i)));
  };
  le(54 + data, 4), le(0, 4), le(54, 4);               // file header
  le(40, 4), le(w, 4), le(h, 4), le(1, 2), le(24, 2);  // info header
  le(0, 4), le(data, 4), le(2835, 4), le(2835, 4), le(0, 4), le(0, 4);
  for (uint32_t i = 0; i < data; ++i) b.push_back(uint8_t(i * 5));
  return b;
}

void writeGz(const fs::path& p, const Bytes& b) {
  gzFile f = gzopen(p.c_str(), "wb");
  gzwrite(f, b.data(), unsigned(b.size()));
  gzclose(f);
}

void be32(Bytes& b, uint32_t v) {
  for (int i = 3; i >= 0; --i) b.push_back(uint8_t(v >> (8 * i)));
}

Bytes idxImages(uint32_t n, uint32_t rows, uint32_t cols) {
  Bytes b;
  be32(b, 0x803), be32(b, n), be32(b, rows), be32(b, cols);
  for (uint32_t i = 0; i < n * rows * cols; ++i) b.push_back(uint8_t(i * 37));
  return b;
}

Bytes idxLabels(uint32_t n) {
  Bytes b;
  be32(b, 0x801), be32(b, n);
  for (uint32_t i = 0; i < n; ++i) b.push_back(uint8_t(i % 10));
  return b;
}

void chunk(Bytes& png, const char* type, const Bytes& body) {
  be32(png, uint32_t(body.size()));
  Bytes typed(type, type + 4);
  typed.insert(typed.end(), body.begin(), body.end());
  png.insert(png.end(), typed.begin(), typed.end());
  be32(png, uint32_t(crc32(0L, typed.data(), uInt(typed.size()))));
}

/// A non-interlaced PNG; `channels` samples of `depth` bits per pixel.
Bytes png(uint32_t w, uint32_t h, uint8_t colorType, uint8_t depth,
          int channels, const Bytes& plte = {}, const Bytes& trns = {}) {
  Bytes out = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  Bytes ihdr;
  be32(ihdr, w), be32(ihdr, h);
  ihdr.insert(ihdr.end(), {depth, colorType, 0, 0, 0});
  chunk(out, "IHDR", ihdr);
  if (!plte.empty()) chunk(out, "PLTE", plte);
  if (!trns.empty()) chunk(out, "tRNS", trns);
  size_t rowBytes = (size_t(w) * channels * depth + 7) / 8;
  Bytes raw;
  for (uint32_t y = 0; y < h; ++y) {
    raw.push_back(uint8_t(y % 5));  // every filter type
    for (size_t x = 0; x < rowBytes; ++x)
      raw.push_back(uint8_t(x * 29 + y * 7));
  }
  uLongf zlen = compressBound(uLong(raw.size()));
  Bytes z(zlen);
  compress(z.data(), &zlen, raw.data(), uLong(raw.size()));
  z.resize(zlen);
  chunk(out, "IDAT", z);
  chunk(out, "IEND", {});
  return out;
}

/// The bytes of a literal, NULs included.
template <size_t N>
Bytes lit(const char (&s)[N]) {
  return Bytes(s, s + N - 1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s SOURCE_DIR OUT_DIR\n", argv[0]);
    return 2;
  }
  const fs::path src = argv[1], out = argv[2];
  for (const char* d : {"graph_binary", "idx", "checkpoint", "image"})
    fs::create_directories(out / d);
  try {
    for (const auto& e : fs::directory_iterator(src / "models")) {
      std::string name = e.path().filename().string();
      if (e.path().extension() != ".pbtxt" ||
          name.find(".solver.") != std::string::npos)
        continue;
      tapeflow::saveGraphBinary(
          tapeflow::loadGraphFile(e.path().string()),
          (out / "graph_binary" / e.path().stem()).string() + ".pb");
    }
    tapeflow::CheckpointData c;
    c.modelName = "seed";
    c.modelFingerprint = 42;
    c.step = 7;
    c.solverText = "base_lr: 0.1\n";
    c.params = {{"w", {2, 3}, {1, 2, 3, 4, 5, 6}}, {"b", {3}, {0.5f, 0, -1}}};
    c.optimizerState = {{"w/momentum", {2, 3}, {0, 0, 0, 0, 0, 1}}};
    tapeflow::writeCheckpoint((out / "checkpoint" / "small.tfck").string(), c);
  } catch (const tapeflow::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  writeFile(out / "idx" / "images-idx3", idxImages(3, 4, 5));
  writeFile(out / "idx" / "images28-idx3", idxImages(1, 28, 28));
  writeFile(out / "idx" / "labels-idx1", idxLabels(12));
  writeGz(out / "idx" / "images-idx3.gz", idxImages(2, 3, 3));
  writeGz(out / "idx" / "labels-idx1.gz", idxLabels(4));

  const fs::path img = out / "image";
  writeFile(img / "grey8.png", png(6, 5, 0, 8, 1));
  writeFile(img / "grey1.png", png(9, 3, 0, 1, 1));
  writeFile(img / "grey16.png", png(3, 4, 0, 16, 1));
  writeFile(img / "rgb8.png", png(4, 4, 2, 8, 3));
  writeFile(img / "rgba8.png", png(5, 3, 6, 8, 4));
  writeFile(img / "greyalpha8.png", png(3, 3, 4, 8, 2));
  writeFile(
      img / "palette4.png",
      png(7, 2, 3, 4, 1, {0, 0, 0, 255, 255, 255, 90, 20, 200}, {255, 0}));
  writeFile(img / "grey.jpg", jpeg(9, 7, 1, false));
  writeFile(img / "rgb-progressive.jpg", jpeg(17, 9, 3, true));
  writeFile(img / "cmyk.jpg", jpeg(8, 8, 4, false));
  writeFile(img / "rgb24.bmp", bmp(5, 3));
  writeFile(img / "p5.pgm", lit("P5\n3 2\n255\n\x01\x80\xff\x10\x20\x30"));
  writeFile(img / "p2.pgm", lit("P2\n# comment\n2 2\n15\n0 5 10 15\n"));
  writeFile(img / "p5-16.pgm", lit("P5 2 1 65535 \x12\x34\xff\xee"));
  writeFile(img / "p6.ppm", lit("P6\n2 1\n255\n\xff\x00\x00\x00\xff\x00"));
  writeFile(img / "p3.ppm", lit("P3\n1 2\n255\n255 0 0\n0 0 255\n"));
  return 0;
}
