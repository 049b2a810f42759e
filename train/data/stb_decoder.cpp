// train/data/stb_decoder.cpp - PNG (interlaced too) and BMP through
// stb_image (JPEG is jpeg_decoder.cpp's): a PNG's chunk structure and CRCs
// and a BMP's size against its header are checked first (stb_image does not),
// dimensions are checked before anything is decoded, then the samples become
// grey (+ alpha) and are composited as for PNM.
#include "train/data/image_decode.h"

#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>

#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_FAILURE_USERMSG
#define STBI_MAX_DIMENSIONS (1 << 24)
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wpedantic"
#endif
#include <stb/stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace tapeflow::data::detail {
namespace {

struct StbFree {
  void operator()(void* p) const { stbi_image_free(p); }
};

std::string reason() {
  const char* r = stbi_failure_reason();
  return r ? r : "unknown error";
}

std::string chunkName(const uint8_t* t) {
  for (int i = 0; i < 4; ++i) {
    bool letter = (t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= 'a' && t[i] <= 'z');
    if (!letter) return "0x" + hexBytes(t, 4);
  }
  return std::string(reinterpret_cast<const char*>(t), 4);
}

/// The PNG's chunk structure, which stb_image does not check: every chunk
/// whole with a correct CRC, IHDR first (13 bytes, dimensions accepted by
/// checkDims), an IDAT, IEND at the very end, no unknown critical chunk.
void checkPngChunks(const uint8_t* d, size_t size, const std::string& file) {
  bool seenIhdr = false, seenIdat = false, seenIend = false;
  size_t pos = sizeof kPngMagic;
  while (!seenIend) {
    if (size - pos < 8)
      dataError(file, "truncated file: expected a chunk header at offset " +
                          num(pos) + " (no IEND chunk), found " +
                          (size == pos ? std::string("end of file")
                                       : num(size - pos) + " bytes"));
    uint32_t len = be32(d + pos);
    const uint8_t* type = d + pos + 4;
    std::string name = chunkName(type);
    if (name.size() != 4)
      dataError(file, "bad chunk at offset " + num(pos) +
                          ": expected a 4-letter chunk type, found " + name);
    if (len > 0x7FFFFFFFu)
      dataError(file, "bad chunk '" + name + "' at offset " + num(pos) +
                          ": expected a length below 2^31, found " + num(len));
    if (size - pos - 8 < uint64_t{len} + 4)
      dataError(file, "truncated chunk '" + name + "' at offset " + num(pos) +
                          ": expected " + num(len) +
                          " data bytes and a 4-byte CRC, found " +
                          num(size - pos - 8) + " bytes");
    const uint8_t* data = type + 4;
    uint32_t crc = static_cast<uint32_t>(crc32(0L, type, 4));
    if (len > 0) crc = static_cast<uint32_t>(crc32(crc, data, len));
    if (crc != be32(data + len)) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "expected CRC 0x%08X, found 0x%08X", crc,
                    be32(data + len));
      dataError(file, "chunk '" + name + "' at offset " + num(pos) +
                          " is corrupt: " + buf);
    }
    pos += size_t{12} + len;
    if (!seenIhdr && name != "IHDR")
      dataError(file, "expected IHDR as the first chunk, found '" + name + "'");
    if (name == "IHDR") {
      if (seenIhdr) dataError(file, "expected one IHDR chunk, found a second");
      if (len != 13)
        dataError(file, "bad IHDR: expected 13 bytes, found " + num(len));
      uint32_t w = be32(data), h = be32(data + 4);
      if (w > 0x7FFFFFFFu || h > 0x7FFFFFFFu)
        dataError(file,
                  "bad IHDR: expected width and height below 2^31, found " +
                      num(w) + "x" + num(h));
      checkDims(file, w, h);
      seenIhdr = true;
    } else if (name == "IDAT") {
      seenIdat = true;
    } else if (name == "IEND") {
      seenIend = true;
    } else if (!(type[0] & 0x20) && name != "PLTE") {
      dataError(file, "unsupported critical chunk '" + name +
                          "': expected IHDR, PLTE, IDAT or IEND");
    }
  }
  if (pos != size)
    dataError(file,
              "trailing data: expected the file to end after IEND at offset " +
                  num(pos) + ", found " + num(size - pos) + " more bytes");
  if (!seenIdat)
    dataError(file, "expected at least one IDAT chunk, found none");
}

uint32_t le32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 |
         uint32_t(p[3]) << 24;
}
uint32_t le16(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8; }

/// A BMP's headers, which stb_image reads past the end of the file as
/// zeros: an uncompressed BMP must hold every row its header declares, so
/// that a few hundred bytes never decode to megapixels.
void checkBmpHeader(const uint8_t* d, size_t size, const std::string& file) {
  if (size < 18)
    dataError(file,
              "truncated BMP: expected a 14-byte file header and an info "
              "header size, found " +
                  num(size) + " bytes");
  const uint32_t offset = le32(d + 10), hdr = le32(d + 14);
  if (hdr != 12 && (hdr < 40 || hdr > 124))
    dataError(
        file,
        "bad BMP: expected an info header of 12 or 40..124 bytes, found " +
            num(hdr));
  if (size < 14 + uint64_t{hdr})
    dataError(file, "truncated BMP: expected a " + num(hdr) +
                        "-byte info header, found " + num(size - 14) +
                        " bytes");
  int64_t w, h;
  uint32_t bpp, compression = 0;
  if (hdr == 12) {  // OS/2 core header: 16-bit dimensions
    w = le16(d + 18), h = le16(d + 20), bpp = le16(d + 24);
  } else {
    w = int32_t(le32(d + 18)), h = int32_t(le32(d + 22));
    bpp = le16(d + 28), compression = le32(d + 30);
  }
  if (h < 0) h = -h;  // top-down rows
  if (w <= 0 || h == 0)
    dataError(
        file,
        "bad BMP: expected a positive width and a non-zero height, found " +
            std::to_string(w) + "x" + std::to_string(h));
  checkDims(file, uint64_t(w), uint64_t(h));
  if (compression != 0 && compression != 3 && compression != 6)
    return;  // stb refuses RLE
  if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32)
    dataError(file,
              "bad BMP: expected 1, 4, 8, 16, 24 or 32 bits per pixel, found " +
                  num(bpp));
  const uint64_t stride = (uint64_t(w) * bpp + 31) / 32 * 4;
  const uint64_t need = uint64_t{offset} + stride * uint64_t(h);
  if (size < need)
    dataError(file, "truncated BMP: its header declares " + num(uint64_t(w)) +
                        "x" + num(uint64_t(h)) + " pixels at " + num(bpp) +
                        " bits, " + num(need) +
                        " bytes with the pixel data at offset " + num(offset) +
                        ", found " + num(size) + " bytes");
}

}  // namespace

GrayImage decodeStb(const uint8_t* d, size_t size, const std::string& file,
                    const char* format) {
  if (size > size_t(std::numeric_limits<int>::max()))
    dataError(file, std::string(format) + " file too large for the decoder");
  const int n = static_cast<int>(size);
  if (std::strcmp(format, "PNG") == 0) checkPngChunks(d, size, file);
  if (std::strcmp(format, "BMP") == 0) checkBmpHeader(d, size, file);
  int w = 0, h = 0, comp = 0;
  // Dimensions first: nothing of the declared size is allocated before
  // checkDims has accepted it.
  if (!stbi_info_from_memory(d, n, &w, &h, &comp))
    dataError(file, std::string("cannot decode the ") + format +
                        " image: " + reason());
  checkDims(file, uint64_t(w), uint64_t(h));
  const bool wide = stbi_is_16_bit_from_memory(d, n);
  // Alpha always requested: a PNG's tRNS becomes alpha only then.
  const int want = comp <= 2 ? 2 : 4;  // grey+alpha or RGBA
  int w2 = 0, h2 = 0, c2 = 0;
  std::unique_ptr<void, StbFree> px(
      wide ? static_cast<void*>(
                 stbi_load_16_from_memory(d, n, &w2, &h2, &c2, want))
           : static_cast<void*>(
                 stbi_load_from_memory(d, n, &w2, &h2, &c2, want)));
  if (!px)
    dataError(file, std::string("cannot decode the ") + format +
                        " image: " + reason());
  if (w2 != w || h2 != h)
    dataError(file, std::string("corrupt ") + format + " image: header says " +
                        num(uint64_t(w)) + "x" + num(uint64_t(h)) +
                        ", data decodes to " + num(uint64_t(w2)) + "x" +
                        num(uint64_t(h2)));
  GreyAlpha out;
  out.width = w;
  out.height = h;
  const size_t pixels = size_t(w) * size_t(h);
  out.grey.resize(pixels);
  out.alpha.resize(pixels);
  bool opaque = true;
  const float scale = wide ? 255.f / 65535.f : 1.f;
  const auto* p8 = static_cast<const uint8_t*>(px.get());
  const auto* p16 = static_cast<const uint16_t*>(px.get());
  auto sample = [&](size_t i) {
    return wide ? float(p16[i]) * scale : float(p8[i]);
  };
  for (size_t i = 0; i < pixels; ++i) {
    const size_t at = i * size_t(want);
    float a;
    if (want == 2) {
      out.grey[i] = sample(at);
      a = sample(at + 1);
    } else {
      out.grey[i] = lumaOf(sample(at), sample(at + 1), sample(at + 2));
      a = sample(at + 3);
    }
    out.alpha[i] = a / 255.f;
    opaque &= out.alpha[i] >= 1.f;
  }
  if (opaque) out.alpha.clear();
  return composite(out);
}

}  // namespace tapeflow::data::detail
