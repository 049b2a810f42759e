// tests/train/data/jpeg_decoder_test.cpp - JPEG decoding (libjpeg-turbo):
// colour, progressive and Adobe CMYK files written here by libjpeg, and
// malformed ones (a Huffman table with more than 256 codes, the input that
// made stb_image write out of bounds; truncation; a repeated progressive
// scan) that must end in one DataError naming the file.
#include "core/error.h"
#include "tests/support/jpeg_encode.h"
#include "train/data/image_reader.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace tapeflow::data {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes encode(const Bytes& px, int w, int h, int comps, bool progressive) {
  return testing::encodeJpeg(px, w, h, comps, progressive);
}

/// Offset of the first marker FF `code`, or npos.
size_t findMarker(const Bytes& j, uint8_t code, size_t from = 2) {
  for (size_t i = from; i + 1 < j.size(); ++i)
    if (j[i] == 0xFF && j[i + 1] == code) return i;
  return std::string::npos;
}

std::string errorOf(const Bytes& j, const std::string& name) {
  try {
    decodeImage(j.data(), j.size(), name);
  } catch (const DataError& e) {
    return e.what();
  }
  return "no error";
}

/// A colour gradient: red across, green down, blue constant.
Bytes rgbRamp(int w, int h) {
  Bytes px;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      px.insert(px.end(), {uint8_t(x * 8), uint8_t(y * 8), 64});
  return px;
}

TEST(JpegDecoderTest, ColourBecomesLuma) {
  const int w = 24, h = 16;
  Bytes px = rgbRamp(w, h);
  for (bool progressive : {false, true}) {
    Bytes j = encode(px, w, h, 3, progressive);
    GrayImage img = decodeImage(j.data(), j.size(), "c.jpg");
    ASSERT_EQ(img.width, w);
    ASSERT_EQ(img.height, h);
    for (int i = 0; i < w * h; ++i) {
      const double luma = 0.299 * px[size_t(3 * i)] +
                          0.587 * px[size_t(3 * i + 1)] + 0.114 * 64;
      EXPECT_NEAR(img.pixels[size_t(i)], luma, 6.0)
          << i << (progressive ? " progressive" : "");
    }
  }
}

TEST(JpegDecoderTest, AdobeCmykInksBecomeLuma) {
  const int w = 16, h = 16;
  Bytes px;  // inverted inks: 255 is no ink. No cyan, magenta across, no
             // yellow, black down.
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      px.insert(px.end(),
                {255, uint8_t(255 - x * 8), 255, uint8_t(255 - y * 8)});
  Bytes j = encode(px, w, h, 4, false);
  GrayImage img = decodeImage(j.data(), j.size(), "k.jpg");
  ASSERT_EQ(img.width, w);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const double k = (255 - y * 8) / 255.0, m = (255 - x * 8) / 255.0;
      const double luma =
          255.0 * k *
          (0.299 + 0.587 * m + 0.114);  // R and B full, G through magenta
      EXPECT_NEAR(img.pixels[size_t(y * w + x)], luma, 6.0) << x << "," << y;
    }
}

TEST(JpegDecoderTest, HuffmanTableWithTooManyCodesIsAnError) {
  Bytes j = encode(Bytes(64 * 3, 100), 8, 8, 3, false);
  const size_t dht = findMarker(j, 0xC4);
  ASSERT_NE(dht, std::string::npos);
  // FF C4, length (2 bytes), class/id, 16 code counts: 16 x 20 = 320 > 256.
  for (size_t i = 0; i < 16; ++i) j[dht + 5 + i] = 20;
  const std::string e = errorOf(j, "huff.jpg");
  EXPECT_NE(e.find("huff.jpg"), std::string::npos) << e;
  EXPECT_NE(e.find("cannot decode the JPEG image"), std::string::npos) << e;
  EXPECT_NE(e.find("Huffman"), std::string::npos) << e;
}

TEST(JpegDecoderTest, TruncatedDataIsAnErrorNotGrey) {
  Bytes j = encode(rgbRamp(64, 64), 64, 64, 3, false);
  const size_t sos = findMarker(j, 0xDA);
  ASSERT_NE(sos, std::string::npos);
  // Cut in the middle of the entropy-coded data: libjpeg would fill the
  // rest with grey and warn; here that is an error.
  Bytes cut(j.begin(), j.begin() + long(sos + (j.size() - sos) / 2));
  const std::string e = errorOf(cut, "cut.jpg");
  EXPECT_NE(e.find("cut.jpg"), std::string::npos) << e;
  EXPECT_NE(e.find("Premature end of JPEG file"), std::string::npos) << e;
}

TEST(JpegDecoderTest, RepeatedProgressiveScansAreAnError) {
  Bytes j = encode(rgbRamp(16, 16), 16, 16, 3, true);
  const size_t first = findMarker(j, 0xDA);
  const size_t second = findMarker(j, 0xDA, first + 2);
  ASSERT_NE(second, std::string::npos);
  // The first (DC) scan, up to the next marker segment, repeated 2,000 times.
  size_t end = first + 2;
  while (end + 1 < j.size() && !(j[end] == 0xFF && j[end + 1] != 0 &&
                                 (j[end + 1] < 0xD0 || j[end + 1] > 0xD7)))
    ++end;
  Bytes scan(j.begin() + long(first), j.begin() + long(end));
  Bytes bad(j.begin(), j.begin() + long(end));
  for (int i = 0; i < 2000; ++i)
    bad.insert(bad.end(), scan.begin(), scan.end());
  bad.insert(bad.end(), j.begin() + long(end), j.end());
  const std::string e = errorOf(bad, "scans.jpg");
  EXPECT_NE(e.find("scans.jpg"), std::string::npos) << e;
  EXPECT_NE(e.find("cannot decode the JPEG image"), std::string::npos) << e;
}

}  // namespace
}  // namespace tapeflow::data
