// train/data/image_reader.cpp - format detection, file reading,
// PGM/PPM decoding and the grey conversion shared with the PNG decoder.
// See image_reader.h for the contract.
#include "train/data/image_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "core/error.h"
#include "train/data/image_decode.h"

namespace tapeflow::data {
namespace detail {

void dataError(const std::string& file, const std::string& msg) {
  throw DataError(SourceLoc{file, 0, 0}, "", "", msg);
}

std::string num(uint64_t v) { return std::to_string(v); }

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
         (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

std::string hexBytes(const uint8_t* p, size_t n) {
  std::string s;
  char buf[4];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%02X", p[i]);
    if (i) s += ' ';
    s += buf;
  }
  return s;
}

/// Checks width x height against the limits.
void checkDims(const std::string& file, uint64_t w, uint64_t h) {
  if (w == 0 || h == 0) {
    dataError(file, "expected an image of at least 1x1 pixels, found " +
                        num(w) + "x" + num(h));
  }
  if (w > static_cast<uint64_t>(kMaxImagePixels) ||
      h > static_cast<uint64_t>(kMaxImagePixels) ||
      w * h > static_cast<uint64_t>(kMaxImagePixels)) {
    dataError(file, "image too large: expected at most " +
                        num(kMaxImagePixels) + " pixels (64 megapixels), found " +
                        num(w) + "x" + num(h));
  }
}

// ---- colour to grey and transparency ------------------------------------

float lumaOf(float r, float g, float b) {
  return 0.299f * r + 0.587f * g + 0.114f * b;
}

uint8_t toByte(float v) {
  return static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
}

GrayImage composite(const GreyAlpha& in) {
  GrayImage out;
  out.width = in.width;
  out.height = in.height;
  out.pixels.resize(in.grey.size());
  float bg = 0.0f;
  if (!in.alpha.empty()) {
    double mass = 0.0, weighted = 0.0;
    for (size_t i = 0; i < in.grey.size(); ++i) {
      mass += in.alpha[i];
      weighted += static_cast<double>(in.alpha[i]) * in.grey[i];
    }
    if (mass > 0.0 && weighted / mass <= 127.5) bg = 255.0f;
  }
  for (size_t i = 0; i < in.grey.size(); ++i) {
    float v = in.grey[i];
    if (!in.alpha.empty()) v = v * in.alpha[i] + bg * (1.0f - in.alpha[i]);
    out.pixels[i] = toByte(v);
  }
  return out;
}

}  // namespace detail

using namespace detail;

namespace {

// ---- PGM / PPM -----------------------------------------------------------

/// A cursor over the text parts of a Netpbm file.
class PnmCursor {
 public:
  PnmCursor(const uint8_t* d, size_t size, const std::string& file)
      : d_(d), size_(size), file_(file) {}

  static bool isSpace(uint8_t c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
  }

  /// Skips whitespace and '#' comments (to the end of the line).
  void skipSpace() {
    while (pos_ < size_) {
      if (isSpace(d_[pos_])) {
        ++pos_;
      } else if (d_[pos_] == '#') {
        while (pos_ < size_ && d_[pos_] != '\n' && d_[pos_] != '\r') ++pos_;
      } else {
        break;
      }
    }
  }

  /// Reads a decimal number (at most `max`); `what` names it in errors.
  uint64_t number(const char* what, uint64_t max) {
    skipSpace();
    if (pos_ >= size_) {
      dataError(file_, std::string("truncated file: expected ") + what +
                           ", found end of file at offset " + num(pos_));
    }
    if (d_[pos_] < '0' || d_[pos_] > '9') {
      dataError(file_, std::string("expected ") + what +
                           " (a decimal number) at offset " +
                           num(pos_) + ", found byte 0x" +
                           hexBytes(d_ + pos_, 1));
    }
    uint64_t v = 0;
    while (pos_ < size_ && d_[pos_] >= '0' && d_[pos_] <= '9') {
      v = v * 10 + (d_[pos_] - '0');
      if (v > max) {
        dataError(file_, std::string("expected ") + what + " of at most " +
                             num(max) +
                             ", found a larger number at offset " + num(pos_));
      }
      ++pos_;
    }
    if (pos_ < size_ && !isSpace(d_[pos_]) && d_[pos_] != '#') {
      dataError(file_, std::string("expected whitespace after ") + what +
                           " at offset " +
                           num(pos_) + ", found byte 0x" +
                           hexBytes(d_ + pos_, 1));
    }
    return v;
  }

  size_t pos() const { return pos_; }
  void advance(size_t n) { pos_ += n; }

 private:
  const uint8_t* d_;
  size_t size_;
  size_t pos_ = 2;  // after the magic
  const std::string& file_;
};

GrayImage decodePnm(const uint8_t* d, size_t size, const std::string& file) {
  const char kind = static_cast<char>(d[1]);
  const bool binary = kind == '5' || kind == '6';
  const int ch = (kind == '3' || kind == '6') ? 3 : 1;
  PnmCursor cur(d, size, file);
  uint64_t w = cur.number("width", uint64_t{1} << 40);
  uint64_t h = cur.number("height", uint64_t{1} << 40);
  checkDims(file, w, h);
  uint64_t maxval = cur.number("maxval", 1u << 20);
  if (maxval < 1 || maxval > 65535) {
    dataError(file, "expected maxval in 1..65535, found " + num(maxval));
  }
  GreyAlpha out;
  out.width = static_cast<int>(w);
  out.height = static_cast<int>(h);
  const size_t n = static_cast<size_t>(w * h);
  out.grey.resize(n);
  const float scale = 255.0f / static_cast<float>(maxval);
  const size_t samples = n * ch;
  auto checked = [&](uint64_t v, size_t k) {
    if (v > maxval) {
      size_t p = k / ch;
      dataError(file, "pixel (" + num(p % w) + ", " + num(p / w) +
                          "): expected a value <= maxval " + num(maxval) +
                          ", found " + num(v));
    }
    return static_cast<float>(v) * scale;
  };
  auto store = [&](size_t k, float v, float* rgb) {
    if (ch == 1) {
      out.grey[k] = v;
      return;
    }
    rgb[k % 3] = v;
    if (k % 3 == 2) out.grey[k / 3] = lumaOf(rgb[0], rgb[1], rgb[2]);
  };
  float rgb[3] = {0, 0, 0};
  size_t end = 0;
  if (binary) {
    if (cur.pos() >= size || !PnmCursor::isSpace(d[cur.pos()])) {
      dataError(file, "expected one whitespace byte after maxval, found " +
                          std::string(cur.pos() >= size ? "end of file"
                                                        : "other data"));
    }
    cur.advance(1);
    const size_t bytesPer = maxval > 255 ? 2 : 1;
    const size_t need = samples * bytesPer;
    const size_t have = size - cur.pos();
    if (have < need) {
      dataError(file, "truncated data: expected " + num(need) +
                          " bytes of pixel data, found " + num(have));
    }
    const uint8_t* p = d + cur.pos();
    for (size_t k = 0; k < samples; ++k) {
      uint64_t v = bytesPer == 2 ? (uint64_t{p[2 * k]} << 8) | p[2 * k + 1]
                                 : p[k];
      store(k, checked(v, k), rgb);
    }
    end = cur.pos() + need;
  } else {
    for (size_t k = 0; k < samples; ++k) {
      cur.skipSpace();
      if (cur.pos() >= size) {
        dataError(file, "truncated data: expected " + num(samples) +
                            " pixel values, found " + num(k));
      }
      uint64_t v = cur.number("a pixel value", 1u << 20);
      store(k, checked(v, k), rgb);
    }
    end = cur.pos();
  }
  for (size_t i = end; i < size; ++i) {
    if (!PnmCursor::isSpace(d[i])) {
      dataError(file, "trailing data: expected the file to end after " +
                          num(samples) + " samples at offset " + num(end) +
                          ", found " + num(size - end) + " more bytes");
    }
  }
  return composite(out);
}

// ---- format detection and file reading -----------------------------------

std::string guessFormat(const uint8_t* d, size_t size) {
  auto starts = [&](const char* m, size_t n) {
    return size >= n && std::memcmp(d, m, n) == 0;
  };
  if (starts("GIF8", 4)) return " (looks like a GIF file)";
  if (starts("\x89PNG", 4)) return " (a damaged PNG signature)";
  if (starts("P1", 2) || starts("P4", 2)) return " (a PBM bitmap)";
  if (starts("P7", 2)) return " (a PAM file)";
  if (starts("\x1f\x8b", 2)) return " (looks like a gzip file)";
  return "";
}

Bytes readWholeFile(const std::string& path) {
  auto ioError = [&](const std::string& msg) {
    throw IoError(SourceLoc{path, 0, 0}, "", "", msg);
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) ioError(std::string("cannot open: ") + std::strerror(errno));
  struct Close {
    int fd;
    ~Close() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ioError(std::string("cannot stat: ") + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) ioError(std::string("cannot read: ") +
                                   std::strerror(EISDIR));
  auto tooLarge = [&](const std::string& found) {
    dataError(path, "file too large: expected at most " +
                        num(kMaxImageFileBytes) + " bytes, found " + found);
  };
  Bytes data;
  if (S_ISREG(st.st_mode)) {
    if (static_cast<uint64_t>(st.st_size) > kMaxImageFileBytes) {
      tooLarge(num(static_cast<uint64_t>(st.st_size)));
    }
    data.reserve(static_cast<size_t>(st.st_size));
  }
  uint8_t buf[1 << 16];
  for (;;) {
    ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0) {
      if (errno == EINTR) continue;
      ioError(std::string("read failed: ") + std::strerror(errno));
    }
    if (r == 0) break;
    if (data.size() + static_cast<size_t>(r) > kMaxImageFileBytes) {
      tooLarge("more than " + num(kMaxImageFileBytes));
    }
    data.insert(data.end(), buf, buf + r);
  }
  return data;
}

}  // namespace

GrayImage decodeImage(const uint8_t* data, size_t size,
                      const std::string& name) {
  if (size >= sizeof kPngMagic &&
      std::memcmp(data, kPngMagic, sizeof kPngMagic) == 0) {
    return decodeStb(data, size, name, "PNG");
  }
  if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
    return decodeJpeg(data, size, name);
  if (size >= 2 && data[0] == 'B' && data[1] == 'M')
    return decodeStb(data, size, name, "BMP");
  if (size >= 2 && data[0] == 'P' &&
      (data[1] == '2' || data[1] == '3' || data[1] == '5' || data[1] == '6')) {
    return decodePnm(data, size, name);
  }
  if (size == 0) {
    dataError(name, "expected a PNG, JPEG, BMP, PGM or PPM image, found an empty file");
  }
  dataError(name, "unsupported image format: expected a PNG (89 50 4E 47 ..), "
                  "JPEG (FF D8 FF), BMP (BM) or PGM/PPM (P2, P3, P5, P6) "
                  "signature, found " +
                      hexBytes(data, std::min<size_t>(size, 8)) +
                      guessFormat(data, size));
}

GrayImage readImage(const std::string& path) {
  Bytes data = readWholeFile(path);
  return decodeImage(data.data(), data.size(), path);
}

}  // namespace tapeflow::data
