// tests/train/data/idx_reader_test.cpp - IDX reader: good files and the bad
// inputs E01-E13 of RELIABILITY.md, plain and gzipped.
#include "train/data/idx_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
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

void putBe32(Bytes& b, uint32_t v) {
  b.push_back(static_cast<uint8_t>(v >> 24));
  b.push_back(static_cast<uint8_t>(v >> 16));
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}

Bytes header(uint32_t magic, std::initializer_list<uint32_t> dims) {
  Bytes b;
  putBe32(b, magic);
  for (uint32_t d : dims) putBe32(b, d);
  return b;
}

/// A valid idx3 image file with a recognisable pixel pattern.
Bytes imageFile(uint32_t count, uint32_t rows, uint32_t cols) {
  Bytes b = header(0x00000803, {count, rows, cols});
  for (uint64_t i = 0; i < uint64_t{count} * rows * cols; ++i) {
    b.push_back(static_cast<uint8_t>(i * 7 + 3));
  }
  return b;
}

/// A valid idx1 label file.
Bytes labelFile(const Bytes& labels) {
  Bytes b = header(0x00000801, {static_cast<uint32_t>(labels.size())});
  b.insert(b.end(), labels.begin(), labels.end());
  return b;
}

Bytes labelsUpTo(size_t n, int classes = 10) {
  Bytes l;
  for (size_t i = 0; i < n; ++i) l.push_back(static_cast<uint8_t>(i % classes));
  return l;
}

class IdxReaderTest : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const {
    return scratch_.path(name);
  }

  std::string writePlain(const std::string& name, const Bytes& b) {
    std::string p = path(name);
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(b.data()),
            static_cast<std::streamsize>(b.size()));
    EXPECT_TRUE(f.good()) << p;
    return p;
  }

  std::string writeGz(const std::string& name, const Bytes& b) {
    std::string p = path(name);
    gzFile gz = gzopen(p.c_str(), "wb");
    EXPECT_NE(gz, nullptr) << p;
    if (!gz) return p;
    if (!b.empty()) {
      EXPECT_EQ(gzwrite(gz, b.data(), static_cast<unsigned>(b.size())),
                static_cast<int>(b.size()));
    }
    EXPECT_EQ(gzclose(gz), Z_OK);
    return p;
  }

  Bytes gzipped(const Bytes& b) {
    std::string p = writeGz("scratch.gz", b);
    std::ifstream f(p, std::ios::binary);
    Bytes out((std::istreambuf_iterator<char>(f)),
              std::istreambuf_iterator<char>());
    std::filesystem::remove(p);
    return out;
  }

  testing::ScratchDir scratch_{"idx_reader_test"};
  const std::string dir_ = scratch_.path();
};

/// Runs fn, expecting exactly exception type E whose what() starts with
/// "<file>: error: " (unless file is empty) and contains every part.
template <typename E>
void expectThrow(const std::function<void()>& fn, const std::string& file,
                 std::initializer_list<std::string> parts) {
  try {
    fn();
    ADD_FAILURE() << "no exception thrown";
  } catch (const E& e) {
    std::string what = e.what();
    if (!file.empty()) {
      EXPECT_THAT(what, StartsWith(file + ": error: "));
    }
    for (const std::string& p : parts) EXPECT_THAT(what, HasSubstr(p));
    EXPECT_EQ(e.loc().file, file);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

void expectImagesError(const std::string& file,
                       std::initializer_list<std::string> parts) {
  expectThrow<DataError>([&] { readIdxImages(file); }, file, parts);
}

void expectLabelsError(const std::string& file,
                       std::initializer_list<std::string> parts,
                       int numClasses = 10) {
  expectThrow<DataError>([&] { readIdxLabels(file, numClasses); }, file,
                         parts);
}

// ---- good files ----------------------------------------------------------

TEST_F(IdxReaderTest, RoundTripPlain) {
  Bytes img = imageFile(5, 28, 28);
  ImageSet s = readIdxImages(writePlain("img", img));
  EXPECT_EQ(s.count, 5);
  EXPECT_EQ(s.rows, 28);
  EXPECT_EQ(s.cols, 28);
  EXPECT_EQ(s.pixels, Bytes(img.begin() + 16, img.end()));

  Bytes labels = {0, 9, 3, 3, 7};
  LabelSet l = readIdxLabels(writePlain("lbl", labelFile(labels)));
  EXPECT_EQ(l.count, 5);
  EXPECT_EQ(l.labels, labels);
}

TEST_F(IdxReaderTest, RoundTripGzip) {
  Bytes img = imageFile(7, 3, 5);
  ImageSet s = readIdxImages(writeGz("img.gz", img));
  EXPECT_EQ(s.count, 7);
  EXPECT_EQ(s.rows, 3);
  EXPECT_EQ(s.cols, 5);
  EXPECT_EQ(s.pixels, Bytes(img.begin() + 16, img.end()));

  Bytes labels = labelsUpTo(7);
  LabelSet l = readIdxLabels(writeGz("lbl.gz", labelFile(labels)));
  EXPECT_EQ(l.labels, labels);
}

TEST_F(IdxReaderTest, RoundTripLargerThanBuffers) {
  // Several read chunks and payload growth steps, plain and gzipped.
  Bytes img = imageFile(3000, 28, 28);
  Bytes want(img.begin() + 16, img.end());
  EXPECT_EQ(readIdxImages(writePlain("img", img)).pixels, want);
  EXPECT_EQ(readIdxImages(writeGz("img.gz", img)).pixels, want);
}

TEST_F(IdxReaderTest, DetectsGzipByMagicNotByName) {
  Bytes img = imageFile(2, 4, 4);
  Bytes want(img.begin() + 16, img.end());
  // A plain file named .gz and a gzipped file without the suffix both load.
  EXPECT_EQ(readIdxImages(writePlain("plain.gz", img)).pixels, want);
  EXPECT_EQ(readIdxImages(writeGz("compressed", img)).pixels, want);
  Bytes labels = labelsUpTo(4);
  EXPECT_EQ(readIdxLabels(writePlain("lbl.gz", labelFile(labels))).labels,
            labels);
}

TEST_F(IdxReaderTest, ConcatenatedGzipMembersAreOneStream) {
  Bytes img = imageFile(4, 2, 2);
  Bytes a(img.begin(), img.begin() + 10), b(img.begin() + 10, img.end());
  Bytes gz = gzipped(a), gz2 = gzipped(b);
  gz.insert(gz.end(), gz2.begin(), gz2.end());
  EXPECT_EQ(readIdxImages(writePlain("img.gz", gz)).pixels,
            Bytes(img.begin() + 16, img.end()));
}

TEST_F(IdxReaderTest, LabelsUpToNumClasses) {
  Bytes labels = {0, 10, 255};
  EXPECT_EQ(readIdxLabels(writePlain("lbl", labelFile(labels)), 256).labels,
            labels);
  expectThrow<UsageError>([&] { readIdxLabels(path("lbl"), 0); }, "",
                          {"expected numClasses in [1, 256], found 0"});
  expectThrow<UsageError>([&] { readIdxLabels(path("lbl"), 257); }, "",
                          {"found 257"});
}

TEST_F(IdxReaderTest, LoadMnistDirBothSplits) {
  writeGz("train-images-idx3-ubyte.gz", imageFile(6, 28, 28));
  writeGz("train-labels-idx1-ubyte.gz", labelFile(labelsUpTo(6)));
  writePlain("t10k-images-idx3-ubyte", imageFile(2, 28, 28));
  writePlain("t10k-labels-idx1-ubyte", labelFile({4, 2}));

  Dataset train = loadMnistDir(dir_, "train");
  EXPECT_EQ(train.images.count, 6);
  EXPECT_EQ(train.labels.count, 6);
  EXPECT_EQ(train.imagesPath, path("train-images-idx3-ubyte.gz"));
  EXPECT_EQ(train.labelsPath, path("train-labels-idx1-ubyte.gz"));

  Dataset test = loadMnistDir(dir_ + "/", "test");
  EXPECT_EQ(test.images.count, 2);
  EXPECT_EQ(test.labels.labels, (Bytes{4, 2}));
  EXPECT_EQ(test.imagesPath, path("t10k-images-idx3-ubyte"));
  EXPECT_NE(train.fingerprint, test.fingerprint);
}

TEST_F(IdxReaderTest, LoadMnistDirPrefersUncompressedName) {
  writePlain("t10k-images-idx3-ubyte", imageFile(2, 28, 28));
  writeGz("t10k-images-idx3-ubyte.gz", Bytes{1, 2, 3});  // would be rejected
  writePlain("t10k-labels-idx1-ubyte.gz", labelFile({1, 1}));
  Dataset ds = loadMnistDir(dir_, "test");
  EXPECT_EQ(ds.imagesPath, path("t10k-images-idx3-ubyte"));
  EXPECT_EQ(ds.labelsPath, path("t10k-labels-idx1-ubyte.gz"));
}

TEST_F(IdxReaderTest, FingerprintFollowsDecodedBytes) {
  Bytes img = imageFile(3, 28, 28);
  Bytes lbl = labelFile({1, 2, 3});
  writePlain("train-images-idx3-ubyte", img);
  writePlain("train-labels-idx1-ubyte", lbl);
  uint64_t plain = loadMnistDir(dir_, "train").fingerprint;
  EXPECT_EQ(loadMnistDir(dir_, "train").fingerprint, plain);

  // Same content gzipped: same fingerprint.
  std::filesystem::remove(path("train-images-idx3-ubyte"));
  std::filesystem::remove(path("train-labels-idx1-ubyte"));
  writeGz("train-images-idx3-ubyte.gz", img);
  writeGz("train-labels-idx1-ubyte.gz", lbl);
  EXPECT_EQ(loadMnistDir(dir_, "train").fingerprint, plain);

  // One changed pixel or label changes it.
  Bytes img2 = img;
  img2[100] ^= 1;
  writeGz("train-images-idx3-ubyte.gz", img2);
  uint64_t changedImage = loadMnistDir(dir_, "train").fingerprint;
  EXPECT_NE(changedImage, plain);
  writeGz("train-images-idx3-ubyte.gz", img);
  writeGz("train-labels-idx1-ubyte.gz", labelFile({1, 2, 4}));
  uint64_t changedLabel = loadMnistDir(dir_, "train").fingerprint;
  EXPECT_NE(changedLabel, plain);
  EXPECT_NE(changedLabel, changedImage);
}

// ---- E01 wrong magic ------------------------------------------------------

TEST_F(IdxReaderTest, E01WrongMagic) {
  Bytes img = imageFile(1, 2, 2);
  img[0] = 0x12, img[1] = 0x34, img[2] = 0x56, img[3] = 0x78;
  expectImagesError(writePlain("random", img),
                    {"expected magic 0x00000803 (idx3 unsigned byte images), "
                     "found 0x12345678 (not an IDX file)"});
  expectImagesError(writeGz("random.gz", img), {"found 0x12345678"});
  expectLabelsError(path("random"),
                    {"expected magic 0x00000801 (idx1 unsigned byte labels), "
                     "found 0x12345678"});

  // 2049 (the label magic) with image dims in an image file.
  Bytes b = imageFile(1, 2, 2);
  b[3] = 0x01;
  expectImagesError(writePlain("magic2049", b),
                    {"expected magic 0x00000803 (idx3 unsigned byte images), "
                     "found 0x00000801",
                     "looks like a label file"});

  // Unknown element type.
  Bytes u = imageFile(1, 2, 2);
  u[2] = 0x42;
  expectImagesError(writePlain("unknown", u),
                    {"found 0x00004203 (not an IDX file: unknown element type "
                     "0x42)"});
}

// ---- E02 swapped files ----------------------------------------------------

TEST_F(IdxReaderTest, E02SwappedImageAndLabelFiles) {
  std::string lbl = writeGz("labels.gz", labelFile(labelsUpTo(3)));
  std::string img = writeGz("images.gz", imageFile(3, 28, 28));
  expectImagesError(lbl, {"looks like a label file"});
  expectLabelsError(img, {"expected magic 0x00000801 (idx1 unsigned byte "
                          "labels), found 0x00000803",
                          "looks like an image file"});

  // Swapped under the standard names.
  writeGz("train-images-idx3-ubyte.gz", labelFile(labelsUpTo(3)));
  writeGz("train-labels-idx1-ubyte.gz", imageFile(3, 28, 28));
  expectThrow<DataError>([&] { loadMnistDir(dir_, "train"); },
                         path("train-images-idx3-ubyte.gz"),
                         {"looks like a label file"});
}

// ---- E03 element type -----------------------------------------------------

TEST_F(IdxReaderTest, E03OnlyUnsignedByte) {
  Bytes f = imageFile(1, 2, 2);
  f[2] = 0x0D;  // float32
  expectImagesError(writePlain("float", f),
                    {"found 0x00000D03 (idx3 float32)",
                     "only unsigned byte (0x08) is supported"});
  Bytes l = labelFile({1, 2});
  l[2] = 0x0C;  // int32
  expectLabelsError(writeGz("int32.gz", l),
                    {"found 0x00000C01 (idx1 int32)",
                     "only unsigned byte (0x08) is supported"});
}

// ---- E04 rank -------------------------------------------------------------

TEST_F(IdxReaderTest, E04WrongRank) {
  Bytes idx4 = header(0x00000804, {1, 1, 2, 2});
  idx4.insert(idx4.end(), 4, 0);
  expectImagesError(writePlain("idx4", idx4),
                    {"found 0x00000804 (idx4 unsigned byte)", "wrong rank: expected 3, "
                                                "found 4"});
  Bytes idx2 = header(0x00000802, {2, 2});
  idx2.insert(idx2.end(), 4, 0);
  expectImagesError(writePlain("idx2", idx2),
                    {"found 0x00000802 (idx2 unsigned byte); wrong rank: "
                     "expected 3, found 2"});
  expectLabelsError(path("idx2"), {"wrong rank: expected 1, found 2"});
}

// ---- E05 truncated header -------------------------------------------------

TEST_F(IdxReaderTest, E05TruncatedHeader) {
  Bytes img = imageFile(1, 2, 2);
  for (size_t n = 0; n < 16; ++n) {
    SCOPED_TRACE(n);
    Bytes cut(img.begin(), img.begin() + n);
    std::string msg = "truncated header: expected 16 bytes, found " +
                      std::to_string(n);
    expectImagesError(writePlain("img" + std::to_string(n), cut), {msg});
    expectImagesError(writeGz("img" + std::to_string(n) + ".gz", cut),
                      {msg + " after decompression"});
  }
  expectImagesError(path("img0"), {"found 0 (empty file)"});
  Bytes lbl = labelFile({1});
  for (size_t n = 0; n < 8; ++n) {
    SCOPED_TRACE(n);
    Bytes cut(lbl.begin(), lbl.begin() + n);
    expectLabelsError(writePlain("lbl" + std::to_string(n), cut),
                      {"truncated header: expected 8 bytes, found " +
                       std::to_string(n)});
  }
}

// ---- E06 truncated payload ------------------------------------------------

TEST_F(IdxReaderTest, E06TruncatedPayload) {
  Bytes img = imageFile(3, 28, 28);  // 16 + 2352 bytes
  Bytes cut(img.begin(), img.end() - 1);
  std::string msg =
      "truncated data: expected 2368 bytes (16-byte header + 3 images of "
      "28x28), found 2367 bytes";
  expectImagesError(writePlain("cut1", cut), {msg});
  expectImagesError(writeGz("cut1.gz", cut), {msg + " after decompression"});

  Bytes lastImageGone(img.begin(), img.end() - 784);
  expectImagesError(writePlain("cut784", lastImageGone),
                    {"expected 2368 bytes", "found 1584 bytes"});
  Bytes headerOnly(img.begin(), img.begin() + 16);
  expectImagesError(writeGz("hdr.gz", headerOnly),
                    {"found 16 bytes after decompression"});

  Bytes lbl = labelFile(labelsUpTo(5));
  lbl.pop_back();
  expectLabelsError(writePlain("lbl", lbl),
                    {"truncated data: expected 13 bytes (8-byte header + 5 "
                     "labels), found 12 bytes"});
}

// ---- E07 trailing bytes ---------------------------------------------------

TEST_F(IdxReaderTest, E07TrailingBytes) {
  Bytes img = imageFile(2, 4, 4);  // 16 + 32 bytes
  img.push_back(0);
  std::string msg =
      "trailing data: expected 48 bytes (16-byte header + 2 images of 4x4), "
      "found 49 bytes";
  expectImagesError(writePlain("extra", img), {msg});
  expectImagesError(writeGz("extra.gz", img), {msg + " after decompression"});

  Bytes lbl = labelFile(labelsUpTo(3));
  lbl.insert(lbl.end(), 100000, 1);
  expectLabelsError(writeGz("lbl.gz", lbl),
                    {"trailing data: expected 11 bytes (8-byte header + 3 "
                     "labels), found 100011 bytes after decompression"});
}

// ---- E08 count mismatch ---------------------------------------------------

TEST_F(IdxReaderTest, E08ImageCountDiffersFromLabelCount) {
  std::string img = writeGz("t10k-images-idx3-ubyte.gz", imageFile(5, 28, 28));
  std::string lbl =
      writeGz("t10k-labels-idx1-ubyte.gz", labelFile(labelsUpTo(4)));
  expectThrow<DataError>([&] { loadMnistDir(dir_, "test"); }, lbl,
                         {"expected 5 labels (one per image in " + img +
                          "), found 4"});
}

// ---- E09 image size vs model input ---------------------------------------

TEST_F(IdxReaderTest, E09ImageSizeMustMatchModel) {
  std::string p = writePlain("img", imageFile(2, 32, 32));
  ImageSet s = readIdxImages(p);
  checkImageSize(s, p, 32, 32);
  expectThrow<DataError>([&] { checkImageSize(s, p, 28, 28); }, p,
                         {"expected 28x28 images (the model input), found "
                          "32x32"});
}

// ---- E10 huge declared sizes ----------------------------------------------

TEST_F(IdxReaderTest, E10HugeDeclaredSizesRejectedBeforeAllocating) {
  // Each of these would need gigabytes to terabytes if trusted; under ASan
  // such an allocation aborts the test.
  Bytes manyImages = header(0x00000803, {0xFFFFFFFF, 28, 28});
  manyImages.insert(manyImages.end(), 1000, 0);
  std::string msg =
      "truncated data: expected 3367254359296 bytes (16-byte header + "
      "4294967295 images of 28x28), found 1016 bytes";
  expectImagesError(writePlain("many", manyImages), {msg});
  expectImagesError(writeGz("many.gz", manyImages),
                    {msg + " after decompression"});

  Bytes bigImage = header(0x00000803, {1, 65535, 65535});
  bigImage.insert(bigImage.end(), 1000, 0);
  expectImagesError(writePlain("big", bigImage),
                    {"expected 4294836241 bytes (16-byte header + 1 images "
                     "of 65535x65535), found 1016 bytes"});
  expectImagesError(writeGz("big.gz", bigImage), {"found 1016 bytes after"});

  Bytes huge = header(0x00000803, {0xFFFFFFFF, 65535, 65535});
  huge.insert(huge.end(), 1000, 0);
  expectImagesError(writePlain("huge", huge),
                    {"expected 18446181123756261391 bytes (16-byte header + "
                     "4294967295 images of 65535x65535), found 1016 bytes"});
  expectImagesError(writeGz("huge.gz", huge), {"found 1016 bytes after"});

  // The product does not fit in 64 bits.
  Bytes overflow =
      header(0x00000803, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF});
  overflow.insert(overflow.end(), 1000, 0);
  expectImagesError(writePlain("overflow", overflow),
                    {"expected more than 2^64 bytes (16-byte header + "
                     "4294967295 images of 4294967295x4294967295), found "
                     "1016 bytes"});
  expectImagesError(writeGz("overflow.gz", overflow), {"more than 2^64"});

  // Below the 2 GiB cap: a gzipped file declaring 1.5 GiB but holding 1 KiB.
  Bytes underCap = header(0x00000803, {2000000, 28, 28});
  underCap.insert(underCap.end(), 1000, 0);
  expectImagesError(writeGz("undercap.gz", underCap),
                    {"expected 1568000016 bytes", "found 1016 bytes after"});

  Bytes manyLabels = header(0x00000801, {0xFFFFFFFF});
  manyLabels.insert(manyLabels.end(), 10, 0);
  expectLabelsError(writeGz("labels.gz", manyLabels),
                    {"expected 4294967303 bytes (8-byte header + 4294967295 "
                     "labels), found 18 bytes"});
}

// ---- E11 labels out of range ----------------------------------------------

TEST_F(IdxReaderTest, E11LabelOutOfRange) {
  expectLabelsError(writePlain("ten", labelFile({0, 1, 2, 10, 4, 10})),
                    {"label at index 3: expected a class in [0, 9], found 10",
                     "(2 of 6 labels out of range)"});
  expectLabelsError(writeGz("ff.gz", labelFile({255})),
                    {"label at index 0: expected a class in [0, 9], found "
                     "255"});
  EXPECT_EQ(readIdxLabels(path("ten"), 11).count, 6);
  expectLabelsError(path("ten"), {"expected a class in [0, 1], found 2"}, 2);

  writeGz("train-images-idx3-ubyte.gz", imageFile(2, 28, 28));
  writeGz("train-labels-idx1-ubyte.gz", labelFile({3, 10}));
  expectThrow<DataError>([&] { loadMnistDir(dir_, "train"); },
                         path("train-labels-idx1-ubyte.gz"),
                         {"label at index 1", "found 10"});
  EXPECT_EQ(loadMnistDir(dir_, "train", 11).labels.count, 2);
}

// ---- E12 empty dataset ----------------------------------------------------

TEST_F(IdxReaderTest, E12EmptyDataset) {
  expectImagesError(writePlain("img", header(0x00000803, {0, 28, 28})),
                    {"dataset is empty: expected at least 1 image, found 0"});
  expectImagesError(writeGz("img.gz", header(0x00000803, {0, 28, 28})),
                    {"dataset is empty"});
  expectLabelsError(writePlain("lbl", header(0x00000801, {0})),
                    {"dataset is empty: expected at least 1 label, found 0"});
  Bytes zeroCols = header(0x00000803, {3, 28, 0});
  expectImagesError(writePlain("zero", zeroCols),
                    {"expected images of at least 1x1 pixels, found 28x0"});
}

// ---- E13 gzip damage -------------------------------------------------------

TEST_F(IdxReaderTest, E13TruncatedGzip) {
  Bytes gz = gzipped(imageFile(20, 28, 28));
  for (size_t keep : {size_t{2}, size_t{10}, gz.size() / 2, gz.size() - 8,
                      gz.size() - 1}) {
    SCOPED_TRACE(keep);
    Bytes cut(gz.begin(), gz.begin() + keep);
    expectImagesError(writePlain("cut.gz", cut),
                      {"truncated gzip stream: unexpected end of file"});
  }
}

TEST_F(IdxReaderTest, E13CorruptGzip) {
  Bytes img = imageFile(20, 28, 28);
  Bytes gz = gzipped(img);
  Bytes badCrc = gz;
  badCrc[badCrc.size() - 8] ^= 0xFF;  // CRC-32 in the trailer
  expectImagesError(writePlain("crc.gz", badCrc),
                    {"corrupt gzip stream: incorrect data check"});
  Bytes badLen = gz;
  badLen[badLen.size() - 1] ^= 0xFF;  // ISIZE in the trailer
  expectImagesError(writePlain("len.gz", badLen),
                    {"corrupt gzip stream: incorrect length check"});
  Bytes badMethod = gz;
  badMethod[2] = 0x07;  // compression method must be 8 (deflate)
  expectImagesError(writePlain("method.gz", badMethod),
                    {"corrupt gzip stream: unknown compression method"});
  Bytes badBody = gz;
  for (size_t i = 20; i < 40; ++i) badBody[i] ^= 0x5A;
  expectImagesError(writePlain("body.gz", badBody), {"gzip stream: "});
  Bytes garbage = gz;
  garbage.push_back('x');
  expectImagesError(writePlain("garbage.gz", garbage),
                    {"corrupt gzip stream: unexpected data after the end of "
                     "the compressed data"});
}

// ---- OS failures ----------------------------------------------------------

TEST_F(IdxReaderTest, MissingOrUnreadableFileIsIoError) {
  std::string missing = path("missing");
  expectThrow<IoError>([&] { readIdxImages(missing); }, missing,
                       {"cannot open: No such file or directory"});
  expectThrow<IoError>([&] { readIdxLabels(missing); }, missing,
                       {"No such file or directory"});
  expectThrow<IoError>([&] { readIdxImages(dir_); }, dir_,
                       {"cannot read: Is a directory"});

  // Opens fine but every read fails (address 0 is never mapped).
  expectThrow<IoError>([] { readIdxImages("/proc/self/mem"); },
                       "/proc/self/mem",
                       {"read failed: Input/output error"});

  std::string locked = writePlain("locked", imageFile(1, 2, 2));
  ASSERT_EQ(chmod(locked.c_str(), 0), 0);
  if (geteuid() != 0) {  // root ignores file permissions
    expectThrow<IoError>([&] { readIdxImages(locked); }, locked,
                         {"cannot open: Permission denied"});
  }
}

TEST_F(IdxReaderTest, LoadMnistDirOsFailures) {
  std::string missing = path("nope");
  expectThrow<IoError>([&] { loadMnistDir(missing, "train"); }, missing,
                       {"cannot open directory: No such file or directory"});
  std::string file = writePlain("file", {});
  expectThrow<IoError>([&] { loadMnistDir(file, "train"); }, file,
                       {"cannot open directory: Not a directory"});

  expectThrow<IoError>([&] { loadMnistDir(dir_, "train"); },
                       path("train-images-idx3-ubyte.gz"),
                       {"cannot open: No such file or directory (nor is there " +
                        path("train-images-idx3-ubyte") + ")"});
  writeGz("train-images-idx3-ubyte.gz", imageFile(1, 28, 28));
  expectThrow<IoError>([&] { loadMnistDir(dir_, "train"); },
                       path("train-labels-idx1-ubyte.gz"),
                       {"No such file or directory"});
  expectThrow<UsageError>([&] { loadMnistDir(dir_, "val"); }, "",
                          {"expected split \"train\" or \"test\", found "
                           "\"val\""});
}

}  // namespace
}  // namespace tapeflow::data
