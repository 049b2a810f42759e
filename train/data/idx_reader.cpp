// train/data/idx_reader.cpp - strict IDX reader (plain or gzipped).
#include "train/data/idx_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdint>
#include <cstring>

#include "core/error.h"

namespace tapeflow::data {
namespace {

constexpr uint32_t kImagesMagic = 0x00000803;
constexpr uint32_t kLabelsMagic = 0x00000801;
constexpr size_t kChunk = size_t{1} << 16;        // raw read size
constexpr size_t kGrowMin = size_t{1} << 20;      // payload growth step
constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

std::string hex8(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", v);
  return buf;
}

std::string hex2(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", v & 0xFFu);
  return buf;
}

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
         (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

std::string osError(int err) { return std::strerror(err); }

/// What one reader expects: magic, rank and the file kind it is confused with.
struct Kind {
  uint32_t magic;
  int rank;
  const char* what;        // "idx3 unsigned byte images"
  uint32_t otherMagic;     // the magic of the partner file
  const char* otherHint;   // "looks like a label file"
};

constexpr Kind kImages{kImagesMagic, 3, "idx3 unsigned byte images",
                       kLabelsMagic, "looks like a label file"};
constexpr Kind kLabels{kLabelsMagic, 1, "idx1 unsigned byte labels",
                       kImagesMagic, "looks like an image file"};

const char* typeName(unsigned t) {
  switch (t) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
  }
  return nullptr;
}

std::string describeMagic(uint32_t m) {
  if ((m >> 16) != 0) return "not an IDX file";
  unsigned type = (m >> 8) & 0xFF;
  const char* t = typeName(type);
  if (!t) return "not an IDX file: unknown element type " + hex2(type);
  return "idx" + std::to_string(m & 0xFF) + " " + t;
}

/// A file opened for reading, transparently gunzipped when it starts with
/// the gzip magic. read() fills the whole request unless the data ends, and
/// hashes every byte it returns.
class Source {
  struct Fd {
    int fd = -1;
    ~Fd() {
      if (fd >= 0) ::close(fd);
    }
  };

 public:
  Source(const std::string& path, uint64_t hash) : path_(path), hash_(hash) {
    fd_.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_.fd < 0) ioError("cannot open: " + osError(errno));
    struct stat st {};
    if (::fstat(fd_.fd, &st) != 0) ioError("cannot stat: " + osError(errno));
    if (S_ISDIR(st.st_mode)) ioError("cannot read: " + osError(EISDIR));
    in_.resize(kChunk);
    while (inLen_ < 2) {
      size_t r = readRaw(in_.data() + inLen_, in_.size() - inLen_);
      if (r == 0) break;
      inLen_ += r;
    }
    gz_ = inLen_ >= 2 && in_[0] == 0x1f && in_[1] == 0x8b;
    if (gz_) {
      zs_.next_in = in_.data();
      zs_.avail_in = static_cast<uInt>(inLen_);
      int ret = inflateInit2(&zs_, 16 + MAX_WBITS);  // gzip wrapper only
      if (ret != Z_OK) {
        ioError(std::string("cannot start gzip decompression: ") +
                (zs_.msg ? zs_.msg : zError(ret)));
      }
      zInit_ = true;
    } else if (S_ISREG(st.st_mode)) {
      knownSize_ = static_cast<int64_t>(st.st_size);
    }
  }
  ~Source() {
    if (zInit_) inflateEnd(&zs_);
  }
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;

  bool gz() const { return gz_; }
  /// Size of the decoded data if known up front (plain regular file), else -1.
  int64_t knownSize() const { return knownSize_; }
  uint64_t hash() const { return hash_; }
  const std::string& path() const { return path_; }

  size_t read(uint8_t* dst, size_t n) {
    size_t got = gz_ ? readGz(dst, n) : readPlain(dst, n);
    for (size_t i = 0; i < got; ++i) {
      hash_ ^= dst[i];
      hash_ *= kFnvPrime;
    }
    return got;
  }

  /// Reads and discards up to just over limit bytes; returns how many it saw.
  uint64_t skip(uint64_t limit) {
    std::vector<uint8_t> scratch(kChunk);
    uint64_t total = 0;
    while (total <= limit) {
      size_t r = read(scratch.data(), scratch.size());
      total += r;
      if (r < scratch.size()) break;
    }
    return total;
  }

  [[noreturn]] void dataError(const std::string& msg) const {
    throw DataError(SourceLoc{path_, 0, 0}, "", "", msg);
  }
  [[noreturn]] void ioError(const std::string& msg) const {
    throw IoError(SourceLoc{path_, 0, 0}, "", "", msg);
  }

 private:
  size_t readRaw(uint8_t* dst, size_t n) {
    for (;;) {
      ssize_t r = ::read(fd_.fd, dst, n);
      if (r >= 0) return static_cast<size_t>(r);
      if (errno != EINTR) ioError("read failed: " + osError(errno));
    }
  }

  size_t readPlain(uint8_t* dst, size_t n) {
    size_t total = 0;
    if (inPos_ < inLen_) {
      total = std::min(n, inLen_ - inPos_);
      std::memcpy(dst, in_.data() + inPos_, total);
      inPos_ += total;
    }
    while (total < n) {
      size_t r = readRaw(dst + total, n - total);
      if (r == 0) break;
      total += r;
    }
    return total;
  }

  bool refill() {
    size_t r = readRaw(in_.data(), in_.size());
    zs_.next_in = in_.data();
    zs_.avail_in = static_cast<uInt>(r);
    return r > 0;
  }

  size_t readGz(uint8_t* dst, size_t n) {
    size_t total = 0;
    while (total < n && !zEnd_) {
      if (zs_.avail_in == 0 && !refill()) {
        dataError("truncated gzip stream: unexpected end of file");
      }
      size_t want = std::min(n - total, size_t{1} << 30);
      zs_.next_out = dst + total;
      zs_.avail_out = static_cast<uInt>(want);
      int ret = inflate(&zs_, Z_NO_FLUSH);
      total += want - zs_.avail_out;
      if (ret == Z_STREAM_END) {
        // Concatenated gzip members are one stream; anything else after the
        // end is an error, as is trailing data in a plain file.
        if (zs_.avail_in == 0 && !refill()) {
          zEnd_ = true;
          break;
        }
        if (zs_.next_in[0] != 0x1f) {
          dataError("corrupt gzip stream: unexpected data after the end of "
                    "the compressed data");
        }
        inflateReset(&zs_);
        continue;
      }
      if (ret == Z_OK) continue;
      if (ret == Z_BUF_ERROR && (zs_.avail_in == 0 || zs_.avail_out == 0)) {
        continue;  // needs more input or more room; both handled above
      }
      if (ret == Z_MEM_ERROR) ioError("out of memory while decompressing");
      dataError(std::string("corrupt gzip stream: ") +
                (zs_.msg ? zs_.msg : zError(ret)));
    }
    return total;
  }

  std::string path_;
  uint64_t hash_;
  Fd fd_;
  bool gz_ = false;
  bool zInit_ = false;
  bool zEnd_ = false;
  int64_t knownSize_ = -1;
  std::vector<uint8_t> in_;
  size_t inLen_ = 0, inPos_ = 0;
  z_stream zs_{};
};

std::string afterDecompression(const Source& src) {
  return src.gz() ? " after decompression" : "";
}

/// Reads and checks the magic and the dimensions of kind.
std::vector<uint32_t> readHeader(Source& src, const Kind& kind) {
  const size_t hdr = 4 + 4 * static_cast<size_t>(kind.rank);
  uint8_t buf[4 + 4 * 3];
  auto truncated = [&](size_t got) {
    src.dataError("truncated header: expected " + std::to_string(hdr) +
                  " bytes, found " + std::to_string(got) +
                  afterDecompression(src) + (got == 0 ? " (empty file)" : ""));
  };
  size_t got = src.read(buf, 4);
  if (got < 4) truncated(got);
  uint32_t magic = be32(buf);
  if (magic != kind.magic) {
    std::string msg = "expected magic " + hex8(kind.magic) + " (" + kind.what +
                      "), found " + hex8(magic) + " (" + describeMagic(magic) +
                      ")";
    unsigned type = (magic >> 8) & 0xFF;
    int rank = static_cast<int>(magic & 0xFF);
    if (magic == kind.otherMagic) {
      msg += std::string("; ") + kind.otherHint;
    } else if ((magic >> 16) == 0 && typeName(type)) {
      if (type != 0x08) {
        msg += "; only unsigned byte (0x08) is supported";
      } else {
        msg += "; wrong rank: expected " + std::to_string(kind.rank) +
               ", found " + std::to_string(rank);
      }
    }
    src.dataError(msg);
  }
  got += src.read(buf + 4, hdr - 4);
  if (got < hdr) truncated(got);
  std::vector<uint32_t> dims;
  for (int i = 0; i < kind.rank; ++i) dims.push_back(be32(buf + 4 + 4 * i));
  return dims;
}

/// Reads exactly `payload` bytes (declared by the header) and checks that
/// nothing follows. `declared` describes the records for messages. Sizes are
/// checked against the real size before anything of the declared size is
/// allocated; with gzip the buffer grows only as data actually arrives.
std::vector<uint8_t> readPayload(Source& src, size_t hdr, uint64_t payload,
                                 bool overflow, const std::string& declared) {
  const bool wrap = overflow || payload > UINT64_MAX - hdr;
  const uint64_t total = wrap ? UINT64_MAX : hdr + payload;
  auto sizeError = [&](const char* what, uint64_t found, bool more) {
    src.dataError(std::string(what) + ": expected " +
                  (wrap ? std::string("more than 2^64") : std::to_string(total)) +
                  " bytes (" + std::to_string(hdr) + "-byte header + " +
                  declared + "), found " + (more ? "more than " : "") +
                  std::to_string(found) + " bytes" + afterDecompression(src));
  };
  auto limitError = [&](bool more, uint64_t found) {
    src.dataError("file too large: expected at most " +
                  std::to_string(kMaxIdxBytes) +
                  " bytes (the 2 GiB limit), found " +
                  (more ? "more than " : "") + std::to_string(found) +
                  " bytes" + afterDecompression(src));
  };

  if (src.knownSize() >= 0) {
    // Plain file: compare with its size before allocating anything.
    uint64_t actual = static_cast<uint64_t>(src.knownSize());
    if (wrap || actual < total) sizeError("truncated data", actual, false);
    if (actual > total) sizeError("trailing data", actual, false);
    if (total > kMaxIdxBytes) limitError(false, actual);
  } else if (total > kMaxIdxBytes) {
    // Cannot be valid: measure the real size without keeping the bytes.
    uint64_t actual = hdr + src.skip(kMaxIdxBytes - hdr);
    if (actual > kMaxIdxBytes) limitError(true, kMaxIdxBytes);
    sizeError("truncated data", actual, false);
  }

  std::vector<uint8_t> data;
  if (src.knownSize() >= 0) data.reserve(payload);
  while (data.size() < payload) {
    size_t old = data.size();
    size_t grow = static_cast<size_t>(
        std::min<uint64_t>(payload - old, std::max(kGrowMin, old)));
    data.resize(old + grow);
    size_t got = src.read(data.data() + old, grow);
    if (got < grow) {
      sizeError("truncated data", hdr + old + got, false);
    }
  }
  uint64_t extra = src.skip(kMaxIdxBytes - total);
  if (extra > 0) {
    bool more = total + extra > kMaxIdxBytes;
    sizeError("trailing data", more ? kMaxIdxBytes : total + extra, more);
  }
  return data;
}

ImageSet readImagesImpl(const std::string& path, uint64_t& hash) {
  Source src(path, hash);
  std::vector<uint32_t> dims = readHeader(src, kImages);
  ImageSet out;
  out.count = dims[0];
  out.rows = dims[1];
  out.cols = dims[2];
  if (out.count == 0) {
    src.dataError("dataset is empty: expected at least 1 image, found 0");
  }
  std::string size = std::to_string(out.rows) + "x" + std::to_string(out.cols);
  if (out.rows == 0 || out.cols == 0) {
    src.dataError("expected images of at least 1x1 pixels, found " + size);
  }
  uint64_t payload = 0;
  bool overflow = __builtin_mul_overflow(uint64_t{dims[0]}, uint64_t{dims[1]},
                                         &payload) ||
                  __builtin_mul_overflow(payload, uint64_t{dims[2]}, &payload);
  out.pixels = readPayload(src, 16, payload, overflow,
                           std::to_string(out.count) + " images of " + size);
  hash = src.hash();
  return out;
}

LabelSet readLabelsImpl(const std::string& path, int numClasses,
                        uint64_t& hash) {
  if (numClasses < 1 || numClasses > 256) {
    throw UsageError(SourceLoc{}, "", "",
                     "expected numClasses in [1, 256], found " +
                         std::to_string(numClasses));
  }
  Source src(path, hash);
  std::vector<uint32_t> dims = readHeader(src, kLabels);
  LabelSet out;
  out.count = dims[0];
  if (out.count == 0) {
    src.dataError("dataset is empty: expected at least 1 label, found 0");
  }
  out.labels = readPayload(src, 8, dims[0], false,
                           std::to_string(out.count) + " labels");
  hash = src.hash();
  int64_t firstBad = -1, bad = 0;
  for (size_t i = 0; i < out.labels.size(); ++i) {
    if (out.labels[i] >= numClasses) {
      if (firstBad < 0) firstBad = static_cast<int64_t>(i);
      ++bad;
    }
  }
  if (firstBad >= 0) {
    src.dataError("label at index " + std::to_string(firstBad) +
                  ": expected a class in [0, " +
                  std::to_string(numClasses - 1) + "], found " +
                  std::to_string(out.labels[firstBad]) + " (" +
                  std::to_string(bad) + " of " + std::to_string(out.count) +
                  " labels out of range)");
  }
  return out;
}

/// dir/name if it exists, else dir/name.gz; IoError if neither does.
std::string pickFile(const std::string& dir, const std::string& name) {
  std::string plain =
      (!dir.empty() && dir.back() == '/') ? dir + name : dir + "/" + name;
  std::string gz = plain + ".gz";
  struct stat st {};
  if (::stat(plain.c_str(), &st) == 0) return plain;
  if (errno != ENOENT) {
    throw IoError(SourceLoc{plain, 0, 0}, "", "",
                  "cannot open: " + osError(errno));
  }
  if (::stat(gz.c_str(), &st) == 0) return gz;
  int err = errno;
  throw IoError(SourceLoc{gz, 0, 0}, "", "",
                "cannot open: " + osError(err) +
                    (err == ENOENT ? " (nor is there " + plain + ")" : ""));
}

}  // namespace

ImageSet readIdxImages(const std::string& path) {
  uint64_t hash = kFnvOffset;
  return readImagesImpl(path, hash);
}

LabelSet readIdxLabels(const std::string& path, int numClasses) {
  uint64_t hash = kFnvOffset;
  return readLabelsImpl(path, numClasses, hash);
}

Dataset loadMnistDir(const std::string& dir, const std::string& split,
                     int numClasses) {
  if (split != "train" && split != "test") {
    throw UsageError(SourceLoc{}, "", "",
                     "expected split \"train\" or \"test\", found \"" + split +
                         "\"");
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    throw IoError(SourceLoc{dir, 0, 0}, "", "",
                  "cannot open directory: " + osError(errno));
  }
  if (!S_ISDIR(st.st_mode)) {
    throw IoError(SourceLoc{dir, 0, 0}, "", "",
                  "cannot open directory: " + osError(ENOTDIR));
  }
  const std::string prefix = split == "train" ? "train" : "t10k";
  Dataset ds;
  ds.imagesPath = pickFile(dir, prefix + "-images-idx3-ubyte");
  ds.labelsPath = pickFile(dir, prefix + "-labels-idx1-ubyte");
  uint64_t hash = kFnvOffset;
  ds.images = readImagesImpl(ds.imagesPath, hash);
  ds.labels = readLabelsImpl(ds.labelsPath, numClasses, hash);
  ds.fingerprint = hash;
  if (ds.images.count != ds.labels.count) {
    throw DataError(SourceLoc{ds.labelsPath, 0, 0}, "", "",
                    "expected " + std::to_string(ds.images.count) +
                        " labels (one per image in " + ds.imagesPath +
                        "), found " + std::to_string(ds.labels.count));
  }
  return ds;
}

void checkImageSize(const ImageSet& images, const std::string& path,
                    int64_t rows, int64_t cols) {
  if (images.rows == rows && images.cols == cols) return;
  throw DataError(SourceLoc{path, 0, 0}, "", "",
                  "expected " + std::to_string(rows) + "x" +
                      std::to_string(cols) + " images (the model input), found " +
                      std::to_string(images.rows) + "x" +
                      std::to_string(images.cols));
}

}  // namespace tapeflow::data
