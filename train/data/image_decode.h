// train/data/image_decode.h - internals shared by the image decoders
// (image_reader.cpp, stb_decoder.cpp, image_resize.cpp); not a public API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "train/data/image_reader.h"

namespace tapeflow::data::detail {

using Bytes = std::vector<uint8_t>;

inline constexpr uint8_t kPngMagic[8] = {0x89, 'P', 'N', 'G',
                                         0x0D, 0x0A, 0x1A, 0x0A};

/// Throws DataError located at `file`.
[[noreturn]] void dataError(const std::string& file, const std::string& msg);
/// Decimal text of v.
std::string num(uint64_t v);
/// Big-endian 32-bit value at p.
uint32_t be32(const uint8_t* p);
/// "89 50 4E 47" for n bytes at p.
std::string hexBytes(const uint8_t* p, size_t n);
/// Checks width x height against 1x1 .. kMaxImagePixels.
void checkDims(const std::string& file, uint64_t w, uint64_t h);

/// Decoded samples before compositing: grey 0..255 and optional alpha.
struct GreyAlpha {
  int width = 0, height = 0;
  std::vector<float> grey;   ///< 0..255, unrounded
  std::vector<float> alpha;  ///< 0..1 per pixel, empty when opaque
};

/// 0.299 R + 0.587 G + 0.114 B.
float lumaOf(float r, float g, float b);
/// Rounds and clamps to 0..255.
uint8_t toByte(float v);
/// Composites onto black or white, whichever contrasts with the visible
/// content (see image_reader.h), and rounds to bytes.
GrayImage composite(const GreyAlpha& in);

/// Decodes a PNG or BMP (`format` names it in errors) with stb_image, after
/// checking its dimensions.
GrayImage decodeStb(const uint8_t* d, size_t size, const std::string& file,
                    const char* format);
/// Decodes a JPEG with libjpeg-turbo, after checking its dimensions.
GrayImage decodeJpeg(const uint8_t* d, size_t size, const std::string& file);

}  // namespace tapeflow::data::detail
