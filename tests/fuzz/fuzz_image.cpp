// tests/fuzz/fuzz_image.cpp - images for `predict`: PNG, JPEG, BMP, PGM and PPM
// decoding (format picked by the first bytes), then the MNIST-style
// preprocessing and resizing of what decoded.
//
// PNG chunks carry CRCs; the custom mutator recomputes them after most
// mutations (one in eight is left as it is, to fuzz the CRC check too).
#include "core/error.h"
#include "tests/fuzz/fuzz_support.h"
#include "train/data/image_reader.h"

#include <zlib.h>

#include <cstring>

namespace {

/// Rewrites every complete chunk's CRC of a PNG in place.
void fixPngCrcs(uint8_t* d, size_t size) {
  static const uint8_t kSig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (size < 8 || std::memcmp(d, kSig, 8) != 0) return;
  size_t pos = 8;
  while (pos + 12 <= size) {
    uint64_t len = (uint64_t{d[pos]} << 24) | (uint64_t{d[pos + 1]} << 16) |
                   (uint64_t{d[pos + 2]} << 8) | d[pos + 3];
    if (len > size - pos - 12) return;
    uLong crc = crc32(0L, d + pos + 4, static_cast<uInt>(len + 4));
    uint8_t* c = d + pos + 8 + len;
    c[0] = uint8_t(crc >> 24), c[1] = uint8_t(crc >> 16);
    c[2] = uint8_t(crc >> 8), c[3] = uint8_t(crc);
    pos += 12 + len;
  }
}

}  // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size,
                                          size_t maxSize, unsigned int seed) {
  size = LLVMFuzzerMutate(data, size, maxSize);
  if (seed % 8 != 0) fixPngCrcs(data, size);
  return size;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tapeflow;
  data::GrayImage img;
  try {
    img = data::decodeImage(data, size, "fuzz.img");
  } catch (const Error&) {
    return 0;
  }
  // Preprocessing runs on every decoded image; bound the work per input.
  if (int64_t(img.width) * img.height > (int64_t{1} << 20)) return 0;
  data::mnistStyle(img, 32, true);
  data::mnistStyle(img, 20, false);
  data::resizeTo(img, 7, 3);
  return 0;
}
