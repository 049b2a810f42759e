// train/data/png_decoder.cpp - strict PNG decoding: chunks with CRCs,
// IHDR/PLTE/tRNS/IDAT/IEND, zlib inflate, the five scanline filters, every
// colour type and bit depth of the specification (non-interlaced).
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "core/error.h"
#include "train/data/image_decode.h"

namespace tapeflow::data::detail {
namespace {

struct PngHeader {
  uint32_t width = 0, height = 0;
  int depth = 0, colorType = 0;
  int channels() const {
    switch (colorType) {
      case 2: return 3;
      case 4: return 2;
      case 6: return 4;
      default: return 1;
    }
  }
};

const char* colorTypeName(int t) {
  switch (t) {
    case 0: return "grey";
    case 2: return "rgb";
    case 3: return "palette";
    case 4: return "grey+alpha";
    case 6: return "rgba";
  }
  return "unknown";
}

void checkIhdr(const std::string& file, const uint8_t* d, PngHeader& h) {
  h.width = be32(d);
  h.height = be32(d + 4);
  h.depth = d[8];
  h.colorType = d[9];
  if (h.width > 0x7FFFFFFFu || h.height > 0x7FFFFFFFu) {
    dataError(file, "bad IHDR: expected width and height below 2^31, found " +
                        num(h.width) + "x" + num(h.height));
  }
  checkDims(file, h.width, h.height);
  const char* allowed = nullptr;
  switch (h.colorType) {
    case 0: allowed = "1, 2, 4, 8 or 16"; break;
    case 3: allowed = "1, 2, 4 or 8"; break;
    case 2: case 4: case 6: allowed = "8 or 16"; break;
    default:
      dataError(file, "bad IHDR: expected colour type 0, 2, 3, 4 or 6, found " +
                          num(d[9]));
  }
  bool ok = h.depth == 8 || (h.depth == 16 && h.colorType != 3) ||
            ((h.depth == 1 || h.depth == 2 || h.depth == 4) &&
             (h.colorType == 0 || h.colorType == 3));
  if (!ok) {
    dataError(file, std::string("unsupported bit depth for ") +
                        colorTypeName(h.colorType) + " images: expected " +
                        allowed + ", found " + num(d[8]));
  }
  if (d[10] != 0) {
    dataError(file, "bad IHDR: expected compression method 0, found " +
                        num(d[10]));
  }
  if (d[11] != 0) {
    dataError(file, "bad IHDR: expected filter method 0, found " + num(d[11]));
  }
  if (d[12] == 1) {
    dataError(file, "interlaced (Adam7) PNG is not supported: expected "
                    "interlace method 0, found 1");
  }
  if (d[12] != 0) {
    dataError(file, "bad IHDR: expected interlace method 0, found " +
                        num(d[12]));
  }
}

/// Inflates the concatenated IDAT data into exactly `expected` bytes. The
/// buffer grows as data arrives, so a tiny file declaring a large image does
/// not allocate the full size before its data proves to be there.
Bytes inflateExact(const std::string& file, const Bytes& z, size_t expected) {
  Bytes out(std::min<size_t>(expected, size_t{1} << 20));
  z_stream zs{};
  int ret = inflateInit(&zs);
  if (ret != Z_OK) {
    throw IoError(SourceLoc{file, 0, 0}, "", "",
                  std::string("cannot start decompression: ") + zError(ret));
  }
  struct End {
    z_stream* s;
    ~End() { inflateEnd(s); }
  } end{&zs};
  const uint8_t* in = z.data();
  size_t inLeft = z.size();
  size_t produced = 0;
  uint8_t spill[64];
  for (;;) {
    if (zs.avail_in == 0 && inLeft > 0) {
      size_t take = std::min<size_t>(inLeft, 1u << 30);
      zs.next_in = const_cast<uint8_t*>(in);
      zs.avail_in = static_cast<uInt>(take);
      in += take;
      inLeft -= take;
    }
    if (produced == out.size() && out.size() < expected) {
      out.resize(std::min(expected, 2 * out.size()));
    }
    bool full = produced == expected;
    size_t room = full ? sizeof spill : std::min<size_t>(out.size() - produced,
                                                         1u << 30);
    zs.next_out = full ? spill : out.data() + produced;
    zs.avail_out = static_cast<uInt>(room);
    ret = inflate(&zs, Z_NO_FLUSH);
    size_t got = room - zs.avail_out;
    if (full && got > 0) {
      dataError(file, "too much image data: expected " + num(expected) +
                          " bytes after decompression, found more");
    }
    produced += full ? 0 : got;
    if (ret == Z_STREAM_END) break;
    if (ret == Z_MEM_ERROR) {
      throw IoError(SourceLoc{file, 0, 0}, "", "",
                    "out of memory while decompressing");
    }
    if (ret == Z_NEED_DICT || ret == Z_DATA_ERROR || ret == Z_STREAM_ERROR) {
      dataError(file, std::string("corrupt compressed image data: ") +
                          (zs.msg ? zs.msg : zError(ret)));
    }
    if (zs.avail_in == 0 && inLeft == 0 && got == 0) {
      dataError(file, "truncated compressed image data: expected " +
                          num(expected) + " bytes after decompression, found " +
                          num(produced) + " and no end of stream");
    }
  }
  if (produced != expected) {
    dataError(file, "not enough image data: expected " + num(expected) +
                        " bytes after decompression, found " + num(produced));
  }
  return out;
}

uint8_t paeth(int a, int b, int c) {
  int p = a + b - c;
  int pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return static_cast<uint8_t>(a);
  if (pb <= pc) return static_cast<uint8_t>(b);
  return static_cast<uint8_t>(c);
}

/// Reverses the per-row filters in place; returns the rows without the
/// filter bytes.
Bytes unfilter(const std::string& file, const Bytes& raw, size_t rowBytes,
               uint32_t height, size_t bpp) {
  Bytes rows(rowBytes * height);
  for (uint32_t y = 0; y < height; ++y) {
    const uint8_t* src = raw.data() + y * (rowBytes + 1);
    uint8_t filter = src[0];
    ++src;
    uint8_t* cur = rows.data() + y * rowBytes;
    const uint8_t* prev = y ? cur - rowBytes : nullptr;
    for (size_t i = 0; i < rowBytes; ++i) {
      int a = i >= bpp ? cur[i - bpp] : 0;
      int b = prev ? prev[i] : 0;
      int c = (prev && i >= bpp) ? prev[i - bpp] : 0;
      int pred = 0;
      switch (filter) {
        case 0: pred = 0; break;
        case 1: pred = a; break;
        case 2: pred = b; break;
        case 3: pred = (a + b) / 2; break;
        case 4: pred = paeth(a, b, c); break;
        default:
          dataError(file, "row " + num(y) +
                              ": expected filter type 0-4, found " +
                              num(filter));
      }
      cur[i] = static_cast<uint8_t>(src[i] + pred);
    }
  }
  return rows;
}

/// Sample x of a row of `depth`-bit samples (1..16 bits).
uint32_t sampleAt(const uint8_t* row, size_t x, int depth) {
  if (depth == 8) return row[x];
  if (depth == 16) return (uint32_t{row[2 * x]} << 8) | row[2 * x + 1];
  size_t bit = x * static_cast<size_t>(depth);
  int shift = 8 - depth - static_cast<int>(bit % 8);
  return (row[bit / 8] >> shift) & ((1u << depth) - 1u);
}

struct Palette {
  std::vector<uint8_t> rgb;    // 3 per entry
  std::vector<uint8_t> alpha;  // tRNS, may be shorter than the palette
  size_t size() const { return rgb.size() / 3; }
};

GreyAlpha pngPixels(const std::string& file, const PngHeader& h,
                    const Bytes& rows, size_t rowBytes, const Palette& pal,
                    const Bytes& trns) {
  GreyAlpha out;
  out.width = static_cast<int>(h.width);
  out.height = static_cast<int>(h.height);
  const size_t n = size_t{h.width} * h.height;
  out.grey.resize(n);
  const int ch = h.channels();
  const float scale = 255.0f / static_cast<float>((1u << h.depth) - 1u);
  const bool hasAlpha = h.colorType == 4 || h.colorType == 6 ||
                        !trns.empty() || !pal.alpha.empty();
  if (hasAlpha) out.alpha.assign(n, 1.0f);
  // tRNS for grey and RGB: one colour (16-bit samples) that is transparent.
  uint32_t key[3] = {0, 0, 0};
  if (!trns.empty() && h.colorType != 3) {
    for (int c = 0; c < (h.colorType == 2 ? 3 : 1); ++c) {
      key[c] = (uint32_t{trns[2 * c]} << 8) | trns[2 * c + 1];
    }
  }
  for (uint32_t y = 0; y < h.height; ++y) {
    const uint8_t* row = rows.data() + y * rowBytes;
    for (uint32_t x = 0; x < h.width; ++x) {
      size_t i = size_t{y} * h.width + x;
      uint32_t s[4] = {0, 0, 0, 0};
      for (int c = 0; c < ch; ++c) {
        s[c] = sampleAt(row, size_t{x} * ch + c, h.depth);
      }
      switch (h.colorType) {
        case 0:
          out.grey[i] = s[0] * scale;
          if (!trns.empty() && s[0] == key[0]) out.alpha[i] = 0.0f;
          break;
        case 2:
          out.grey[i] = lumaOf(s[0] * scale, s[1] * scale, s[2] * scale);
          if (!trns.empty() && s[0] == key[0] && s[1] == key[1] &&
              s[2] == key[2]) {
            out.alpha[i] = 0.0f;
          }
          break;
        case 3: {
          if (s[0] >= pal.size()) {
            dataError(file, "pixel (" + num(x) + ", " + num(y) +
                                "): expected a palette index below " +
                                num(pal.size()) + ", found " + num(s[0]));
          }
          const uint8_t* c = pal.rgb.data() + 3 * s[0];
          out.grey[i] = lumaOf(c[0], c[1], c[2]);
          if (s[0] < pal.alpha.size()) out.alpha[i] = pal.alpha[s[0]] / 255.0f;
          break;
        }
        case 4:
          out.grey[i] = s[0] * scale;
          out.alpha[i] = s[1] * scale / 255.0f;
          break;
        case 6:
          out.grey[i] = lumaOf(s[0] * scale, s[1] * scale, s[2] * scale);
          out.alpha[i] = s[3] * scale / 255.0f;
          break;
      }
    }
  }
  return out;
}

std::string chunkName(const uint8_t* t) {
  std::string s;
  for (int i = 0; i < 4; ++i) {
    bool letter = (t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= 'a' && t[i] <= 'z');
    if (!letter) return "0x" + hexBytes(t, 4);
  }
  return std::string(reinterpret_cast<const char*>(t), 4);
}

}  // namespace

GrayImage decodePng(const uint8_t* d, size_t size, const std::string& file) {
  PngHeader h;
  Palette pal;
  Bytes trns, idat;
  bool seenIhdr = false, seenIdat = false, seenIend = false;
  size_t pos = sizeof kPngMagic;
  while (!seenIend) {
    if (size - pos < 8) {
      dataError(file, "truncated file: expected a chunk header at offset " +
                          num(pos) + " (no IEND chunk), found " +
                          (size == pos ? std::string("end of file")
                                       : num(size - pos) + " bytes"));
    }
    uint32_t len = be32(d + pos);
    const uint8_t* type = d + pos + 4;
    std::string name = chunkName(type);
    if (name.size() != 4) {
      dataError(file, "bad chunk at offset " + num(pos) +
                          ": expected a 4-letter chunk type, found " + name);
    }
    if (len > 0x7FFFFFFFu) {
      dataError(file, "bad chunk '" + name + "' at offset " + num(pos) +
                          ": expected a length below 2^31, found " + num(len));
    }
    if (size - pos - 8 < uint64_t{len} + 4) {
      dataError(file, "truncated chunk '" + name + "' at offset " + num(pos) +
                          ": expected " + num(len) + " data bytes and a 4-byte "
                          "CRC, found " + num(size - pos - 8) + " bytes");
    }
    const uint8_t* data = type + 4;
    uint32_t stored = be32(data + len);
    uint32_t crc = static_cast<uint32_t>(crc32(0L, type, 4));
    if (len > 0) crc = static_cast<uint32_t>(crc32(crc, data, len));
    if (crc != stored) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "expected CRC 0x%08X, found 0x%08X", crc,
                    stored);
      dataError(file, "chunk '" + name + "' at offset " + num(pos) +
                          " is corrupt: " + buf);
    }
    pos += size_t{12} + len;
    if (!seenIhdr && name != "IHDR") {
      dataError(file, "expected IHDR as the first chunk, found '" + name + "'");
    }
    if (name == "IHDR") {
      if (seenIhdr) dataError(file, "expected one IHDR chunk, found a second");
      if (len != 13) {
        dataError(file, "bad IHDR: expected 13 bytes, found " + num(len));
      }
      checkIhdr(file, data, h);
      seenIhdr = true;
    } else if (name == "PLTE") {
      if (seenIdat || !pal.rgb.empty()) {
        dataError(file, "expected one PLTE chunk before IDAT, found one " +
                            std::string(seenIdat ? "after IDAT" : "more"));
      }
      if (len == 0 || len % 3 != 0 || len > 768) {
        dataError(file, "bad PLTE: expected 3 to 768 bytes (a multiple of 3), "
                        "found " + num(len));
      }
      pal.rgb.assign(data, data + len);
    } else if (name == "tRNS") {
      size_t want = h.colorType == 0 ? 2 : h.colorType == 2 ? 6 : 0;
      if (h.colorType == 3) {
        if (pal.rgb.empty() || len > pal.size()) {
          dataError(file, "bad tRNS: expected at most " + num(pal.size()) +
                              " entries after PLTE, found " + num(len));
        }
        pal.alpha.assign(data, data + len);
      } else if (want == 0 || len != want) {
        dataError(file, std::string("bad tRNS for ") +
                            colorTypeName(h.colorType) + " images: expected " +
                            num(want) + " bytes, found " + num(len));
      } else {
        trns.assign(data, data + len);
      }
    } else if (name == "IDAT") {
      idat.insert(idat.end(), data, data + len);
      seenIdat = true;
    } else if (name == "IEND") {
      seenIend = true;
    } else if (type[0] & 0x20) {
      // Ancillary chunk (lower-case first letter): safe to ignore.
    } else {
      dataError(file, "unsupported critical chunk '" + name +
                          "': expected IHDR, PLTE, IDAT or IEND");
    }
  }
  if (pos != size) {
    dataError(file, "trailing data: expected the file to end after IEND at "
                    "offset " + num(pos) + ", found " + num(size - pos) +
                        " more bytes");
  }
  if (!seenIdat) dataError(file, "expected at least one IDAT chunk, found none");
  if (h.colorType == 3 && pal.rgb.empty()) {
    dataError(file, "expected a PLTE chunk in a palette image, found none");
  }
  const size_t bitsPerPixel = static_cast<size_t>(h.channels()) * h.depth;
  const size_t rowBytes = (size_t{h.width} * bitsPerPixel + 7) / 8;
  const size_t bpp = std::max<size_t>(1, bitsPerPixel / 8);
  Bytes raw = inflateExact(file, idat, (rowBytes + 1) * h.height);
  Bytes().swap(idat);
  Bytes rows = unfilter(file, raw, rowBytes, h.height, bpp);
  Bytes().swap(raw);
  return composite(pngPixels(file, h, rows, rowBytes, pal, trns));
}

}  // namespace tapeflow::data::detail
