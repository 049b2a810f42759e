// train/data/image_reader.h - single grey-scale images for prediction:
// PNG, JPEG, BMP and strict PGM/PPM decoding, resizing and MNIST-style
// preprocessing.
//
// The format is detected from the first bytes, never from the file name:
//   89 50 4E 47 0D 0A 1A 0A  PNG, any colour type and bit depth, interlaced
//                            or not (stb_image);
//   FF D8 FF                 JPEG, baseline and progressive (libjpeg-turbo);
//   42 4D ("BM")             BMP (stb_image);
//   P5 / P2                  PGM, binary or ASCII, maxval 1..65535;
//   P6 / P3                  PPM, binary or ASCII, converted to grey.
// Colour becomes grey as 0.299 R + 0.587 G + 0.114 B; samples wider than
// 8 bits are scaled to 0..255 with rounding.
//
// Transparency (alpha channel or tRNS) is composited onto a background that
// contrasts with the visible content: black when the visible pixels are
// light on average (MNIST digits are white on black), white when they are
// dark. A digit drawn in either colour on a transparent canvas thus stays
// visible; fully opaque images are unaffected.
//
// Every malformed file is a tapeflow::DataError naming the file and what was
// expected versus found (bad magic, truncation, bad or oversized dimensions,
// corrupt data; for PNG and BMP stb_image's reason, for JPEG libjpeg's);
// files that cannot be opened or read are tapeflow::IoError. Nothing of a
// declared size is allocated before the size has been checked against
// kMaxImagePixels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tapeflow::data {

/// Largest accepted image: width * height (64 megapixels).
inline constexpr int64_t kMaxImagePixels = int64_t{64} << 20;
/// Largest accepted image file (covers uncompressed 64 Mpx RGBA and ASCII).
inline constexpr uint64_t kMaxImageFileBytes = uint64_t{1} << 30;

/// An 8-bit grey-scale image, 0 = black.
struct GrayImage {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;  ///< width*height bytes, row-major

  uint8_t at(int x, int y) const {
    return pixels[static_cast<size_t>(y) * static_cast<size_t>(width) +
                  static_cast<size_t>(x)];
  }
};

/// Reads a PNG, JPEG, BMP, PGM or PPM file as grey. Throws DataError for a malformed or
/// unsupported file and IoError when it cannot be read (see file comment).
GrayImage readImage(const std::string& path);

/// Decodes an image held in memory; `name` is used as the file in errors.
GrayImage decodeImage(const uint8_t* data, size_t size,
                      const std::string& name);

/// Resizes to w x h: area averaging along an axis that shrinks, bilinear
/// interpolation (pixel centres aligned) along an axis that grows. Throws
/// UsageError for an empty input or a size outside 1..kMaxImagePixels.
GrayImage resizeTo(const GrayImage& img, int w, int h);

/// MNIST-like preprocessing for classifying one hand-written digit:
///  1. if autoInvert and the mean pixel is above 127 (light background),
///     invert, so the digit is light on dark as in MNIST;
///  2. stretch contrast so the background level (the median) becomes 0 and
///     the brightest pixel 1;
///  3. crop to the bounding box of pixels above 0.2 and scale it, keeping the
///     aspect ratio, so that its longer side is 20 pixels;
///  4. place it in a 28x28 field with its centre of mass at the centre
///     (shifted back inside the field when the mass is far off-centre);
///  5. zero-pad to size x size (size >= 28, e.g. 32 for LeNet-5), or shrink
///     the field by area averaging when size < 28.
/// Returns size*size values in [0, 1], row-major; an image without contrast
/// gives all zeros. Throws UsageError for an empty image or size outside
/// 1..4096.
std::vector<float> mnistStyle(const GrayImage& img, int size, bool autoInvert);

/// `predict --raw`: resizeTo(img, size, size) scaled to [0, 1], nothing
/// else (no inversion, contrast stretch, cropping or centring). Throws as
/// resizeTo.
std::vector<float> rawResized(const GrayImage& img, int size);

}  // namespace tapeflow::data
