// tests/train/checkpoint_test.cpp - checkpoint files and directories:
// round trip and the faults F01-F15 of RELIABILITY.md (truncation, flipped
// bytes, hostile tables, wrong model, disk full, kill -9 at every write
// stage, write order, lock, latest pointer, pruning).
#include "train/checkpoint.h"

#include <gmock/gmock.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/atomic_file.h"
#include "core/error.h"
#include "tests/support/scratch_dir.h"

namespace tapeflow {
namespace {

namespace fs = std::filesystem;
namespace gpb = ::google::protobuf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// ---------------------------------------------------------------- helpers

CheckpointTensor makeTensor(const std::string& name, Dims dims, float phase) {
  CheckpointTensor t{name, dims, {}};
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  for (int64_t i = 0; i < n; ++i) {
    t.data.push_back(std::sin(0.37f * static_cast<float>(i) + phase));
  }
  return t;
}

/// A small LeNet-like checkpoint with every field set to a non-default value.
CheckpointData sampleData(int64_t step = 1200) {
  CheckpointData d;
  d.modelName = "lenet5";
  d.modelFingerprint = 0x1234567890abcdefull;
  d.dataFingerprint = 0xfedcba0987654321ull;
  d.step = step;
  d.epoch = 2;
  d.positionInEpoch = 137;
  d.seed = 42;
  d.threads = 2;
  d.bestMetric = 0.9875;
  d.bestStep = 1100;
  d.solverText = "base_lr: 0.01\nmomentum: 0.9\n";
  d.params = {makeTensor("conv1.w", {6, 1, 5, 5}, 0.1f),
              makeTensor("conv1.b", {6}, 0.2f),
              makeTensor("fc.w", {10, 24}, 0.3f)};
  d.optimizerState = {makeTensor("conv1.w/momentum", {6, 1, 5, 5}, 0.4f),
                      makeTensor("conv1.b/momentum", {6}, 0.5f)};
  d.optimizerSteps = 1199;
  return d;
}

std::string readBytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)),
                     std::istreambuf_iterator<char>());
}

void writeBytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(f.good()) << path;
}

uint64_t le64(const std::string& b, size_t at) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(b[at + i]);
  return v;
}

void putLe32(std::string& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>(v >> (8 * i));
}

void putLe64(std::string& b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[at + i] = static_cast<char>(v >> (8 * i));
}

/// A checkpoint file cut into header, payload and data region.
struct Parts {
  std::string header, payload, data;

  explicit Parts(const std::string& file) {
    size_t payloadLen = static_cast<size_t>(le64(file, 24));
    header = file.substr(0, kCheckpointHeaderBytes);
    payload = file.substr(kCheckpointHeaderBytes, payloadLen);
    data = file.substr(kCheckpointHeaderBytes + payloadLen);
  }

  /// Reassembles the file with consistent sizes and CRCs, as a writer that
  /// means to produce exactly these bytes would.
  std::string join() const {
    std::string h = header;
    putLe64(h, 16, h.size() + payload.size() + data.size());
    putLe64(h, 24, payload.size());
    putLe32(h, 32, crc32Of(payload.data(), payload.size()));
    putLe32(h, 36, crc32Of(h.data(), 36));
    return h + payload + data;
  }
};

/// The payload as a CheckpointDef message, edited through reflection.
class Payload {
 public:
  explicit Payload(const std::string& bytes) {
    const gpb::Descriptor* d =
        gpb::DescriptorPool::generated_pool()->FindMessageTypeByName(
            "tapeflow.proto.CheckpointDef");
    EXPECT_NE(d, nullptr);
    msg_.reset(
        gpb::MessageFactory::generated_factory()->GetPrototype(d)->New());
    EXPECT_TRUE(msg_->ParseFromString(bytes));
  }
  std::string bytes() const { return msg_->SerializeAsString(); }

  /// The i-th entry of the "params" (or "optimizer_state") table.
  gpb::Message& tensor(int i, const char* table = "params") {
    const gpb::FieldDescriptor* f =
        msg_->GetDescriptor()->FindFieldByName(table);
    return *msg_->GetReflection()->MutableRepeatedMessage(msg_.get(), f, i);
  }

  static void setU64(gpb::Message& m, const char* field, uint64_t v) {
    m.GetReflection()->SetUInt64(&m, m.GetDescriptor()->FindFieldByName(field),
                                 v);
  }
  static void setU32(gpb::Message& m, const char* field, uint32_t v) {
    m.GetReflection()->SetUInt32(&m, m.GetDescriptor()->FindFieldByName(field),
                                 v);
  }
  static void setDims(gpb::Message& m, const std::vector<int64_t>& dims) {
    const gpb::FieldDescriptor* f = m.GetDescriptor()->FindFieldByName("dims");
    m.GetReflection()->ClearField(&m, f);
    for (int64_t d : dims) m.GetReflection()->AddInt64(&m, f, d);
  }

 private:
  std::unique_ptr<gpb::Message> msg_;
};

/// Runs fn and expects an exception of type E whose what() starts with
/// "<file>: error: " and contains every part.
template <typename E>
void expectError(const std::function<void()>& fn, const std::string& file,
                 const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "no exception; expected one containing '" << parts[0]
                  << "'";
  } catch (const E& e) {
    EXPECT_THAT(e.what(), StartsWith(file + ": error: "));
    for (const std::string& p : parts) EXPECT_THAT(e.what(), HasSubstr(p));
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

void expectSame(const CheckpointTensor& a, const CheckpointTensor& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.dims, b.dims);
  ASSERT_EQ(a.data.size(), b.data.size()) << a.name;
  // An empty tensor's data() may be null; memcmp must not see null.
  if (a.data.empty()) return;
  EXPECT_EQ(
      std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(float)),
      0)
      << a.name;
}

class CheckpointTest : public ::testing::Test {
 protected:
  void TearDown() override { detail::setAtomicWriteHook(nullptr); }

  std::string path(const std::string& name) const {
    return scratch_.path(name);
  }

  /// Names of the files in `dir`, sorted.
  static std::vector<std::string> listing(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) {
      names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  testing::ScratchDir scratch_{"checkpoint_test"};
  const std::string dir_ = scratch_.path();
};

// ---------------------------------------------------------- file format

TEST(CheckpointHashTest, MatchesKnownVectors) {
  EXPECT_EQ(crc32Of("123456789", 9), 0xCBF43926u);
  EXPECT_EQ(fnv1a64("", 0), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64("a", 1), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a64("b", 1, fnv1a64("a", 1)), fnv1a64("ab", 2));
}

TEST_F(CheckpointTest, RoundTripKeepsEveryField) {
  CheckpointData in = sampleData();
  in.params.push_back({"empty", {0, 3}, {}});
  in.params.push_back({"special", {4}, {-0.0f, 1e-42f, 3.4e38f, -1.5f}});
  writeCheckpoint(path("a.tfck"), in);
  CheckpointData out = readCheckpoint(path("a.tfck"));
  EXPECT_EQ(out.formatVersion, kCheckpointFormatVersion);
  EXPECT_EQ(out.modelName, in.modelName);
  EXPECT_EQ(out.modelFingerprint, in.modelFingerprint);
  EXPECT_EQ(out.dataFingerprint, in.dataFingerprint);
  EXPECT_EQ(out.step, in.step);
  EXPECT_EQ(out.epoch, in.epoch);
  EXPECT_EQ(out.positionInEpoch, in.positionInEpoch);
  EXPECT_EQ(out.seed, in.seed);
  EXPECT_EQ(out.threads, in.threads);
  EXPECT_EQ(out.bestMetric, in.bestMetric);
  EXPECT_EQ(out.bestStep, in.bestStep);
  EXPECT_EQ(out.solverText, in.solverText);
  EXPECT_EQ(out.optimizerSteps, in.optimizerSteps);
  ASSERT_EQ(out.params.size(), in.params.size());
  for (size_t i = 0; i < in.params.size(); ++i) {
    expectSame(out.params[i], in.params[i]);
  }
  ASSERT_EQ(out.optimizerState.size(), in.optimizerState.size());
  for (size_t i = 0; i < in.optimizerState.size(); ++i) {
    expectSame(out.optimizerState[i], in.optimizerState[i]);
  }
  EXPECT_EQ(listing(dir_), std::vector<std::string>{"a.tfck"});
}

TEST_F(CheckpointTest, RejectsTruncatedFileWithSizes) {  // F01
  std::string p = path("t.tfck");
  writeCheckpoint(p, sampleData());
  const std::string full = readBytes(p);
  const size_t n = full.size();
  for (size_t cut :
       {size_t{0}, size_t{1}, kCheckpointHeaderBytes - 1, n / 2, n - 1}) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    writeBytes(p, full.substr(0, cut));
    if (cut < kCheckpointHeaderBytes) {
      expectError<DataError>([&] { readCheckpoint(p); }, p,
                             {"truncated header: expected at least 40 bytes, "
                              "found " +
                              std::to_string(cut)});
    } else {
      expectError<DataError>([&] { readCheckpoint(p); }, p,
                             {"truncated file: expected " + std::to_string(n) +
                              " bytes, found " + std::to_string(cut)});
    }
  }
  writeBytes(p, full + "x");
  expectError<DataError>([&] { readCheckpoint(p); }, p,
                         {"trailing data", std::to_string(n + 1)});
}

TEST_F(CheckpointTest, RejectsMissingOrForeignFile) {
  // A missing file is an I/O failure (exit 3), as a missing model is.
  expectError<IoError>([&] { readCheckpoint(path("none.tfck")); },
                       path("none.tfck"), {"No such file"});
  writeBytes(path("text.tfck"), "base_lr: 0.01\n");
  expectError<DataError>([&] { readCheckpoint(path("text.tfck")); },
                         path("text.tfck"), {"not a tapeflow checkpoint"});
  expectError<DataError>([&] { readCheckpoint(dir_); }, dir_,
                         {"not a regular file"});
}

TEST_F(CheckpointTest, FlippedTensorByteNamesTensorAndCrcs) {  // F02
  std::string p = path("f.tfck");
  CheckpointData d = sampleData();
  writeCheckpoint(p, d);
  const std::string full = readBytes(p);
  const size_t dataStart = full.size() - Parts(full).data.size();
  // Expected owner of each data byte, in file order.
  std::vector<std::string> owner;
  for (const auto* list : {&d.params, &d.optimizerState}) {
    for (const CheckpointTensor& t : *list) {
      owner.insert(owner.end(), t.data.size() * sizeof(float), t.name);
    }
  }
  ASSERT_EQ(owner.size(), full.size() - dataStart);
  for (size_t i = 0; i < owner.size(); i += 7) {
    std::string bad = full;
    bad[dataStart + i] = static_cast<char>(bad[dataStart + i] ^ 0x10);
    writeBytes(p, bad);
    SCOPED_TRACE("byte " + std::to_string(dataStart + i));
    expectError<DataError>(
        [&] { readCheckpoint(p); }, p,
        {"tensor '" + owner[i] + "' is corrupt: stored crc32 0x", "computed"});
  }
}

TEST_F(CheckpointTest, FlippedHeaderByteIsRejected) {  // F03
  std::string p = path("h.tfck");
  writeCheckpoint(p, sampleData());
  const std::string full = readBytes(p);
  for (size_t i = 0; i < kCheckpointHeaderBytes; ++i) {
    std::string bad = full;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    writeBytes(p, bad);
    SCOPED_TRACE("byte " + std::to_string(i));
    // The version (bytes 8..11) is covered by the header CRC: a flipped
    // version byte is corruption, never "newer".
    std::string expected =
        i < 8 ? "not a tapeflow checkpoint" : "corrupt header: stored header";
    expectError<DataError>([&] { readCheckpoint(p); }, p, {expected});
  }
}

TEST_F(CheckpointTest, FlippedPayloadByteIsRejected) {  // F03
  std::string p = path("t.tfck");
  writeCheckpoint(p, sampleData());
  const std::string full = readBytes(p);
  const size_t payloadLen = Parts(full).payload.size();
  for (size_t i = 0; i < payloadLen; ++i) {
    std::string bad = full;
    bad[kCheckpointHeaderBytes + i] =
        static_cast<char>(bad[kCheckpointHeaderBytes + i] ^ 0x80);
    writeBytes(p, bad);
    SCOPED_TRACE("payload byte " + std::to_string(i));
    expectError<DataError>([&] { readCheckpoint(p); }, p,
                           {"corrupt header or payload: stored payload crc32"});
  }
}

TEST_F(CheckpointTest, RejectsNewerFormatVersion) {  // F08
  std::string p = path("v.tfck");
  writeCheckpoint(p, sampleData());
  Parts parts(readBytes(p));
  putLe32(parts.header, 8, kCheckpointFormatVersion + 1);
  writeBytes(p, parts.join());
  expectError<DataError>([&] { readCheckpoint(p); }, p,
                         {"format version 2 is newer than this build "
                          "supports (1)"});
}

TEST_F(CheckpointTest, FlippedVersionBitIsCorruptNotNewer) {  // F03, F08
  std::string p = path("v.tfck");
  writeCheckpoint(p, sampleData());
  std::string bad = readBytes(p);
  bad[9] = static_cast<char>(bad[9] ^ 0x01);  // version 1 -> 257
  writeBytes(p, bad);
  expectError<DataError>([&] { readCheckpoint(p); }, p,
                         {"corrupt header: stored header crc32"});
}

TEST_F(CheckpointTest, NonUtf8NameUnderValidCrcIsOneQuietLine) {  // F03
  std::string p = path("u.tfck");
  writeCheckpoint(p, sampleData());
  Parts parts(readBytes(p));
  size_t at = parts.payload.find("lenet5");
  ASSERT_NE(at, std::string::npos);
  parts.payload[at] = '\xff';  // model_name is no longer UTF-8; CRCs redone
  writeBytes(p, parts.join());
  ::testing::internal::CaptureStderr();  // no "[libprotobuf ERROR ...]" line
  expectError<DataError>([&] { readCheckpoint(p); }, p,
                         {"corrupt payload: checkpoint metadata does not parse"});
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

/// Writes sampleData(), applies `edit` to the payload (and data region),
/// fixes all sizes and CRCs, and returns the path.
std::string rewritten(const std::string& p,
                      const std::function<void(Payload&, std::string&)>& edit) {
  writeCheckpoint(p, sampleData());
  Parts parts(readBytes(p));
  Payload payload(parts.payload);
  edit(payload, parts.data);
  parts.payload = payload.bytes();
  writeBytes(p, parts.join());
  return p;
}

TEST_F(CheckpointTest, RejectsHugeDeclaredTensorBeforeAllocating) {  // F05
  // 2^38 floats = 1 TiB. An attempt to allocate it would fail under ASan.
  std::string p = rewritten(path("huge.tfck"), [](Payload& pl, std::string&) {
    Payload::setDims(pl.tensor(0), {int64_t{1} << 18, int64_t{1} << 20});
    Payload::setU64(pl.tensor(0), "size", uint64_t{1} << 40);
  });
  expectError<DataError>([&] { readCheckpoint(p); }, p,
                         {"tensor 'conv1.w' declares dims [262144,1048576] "
                          "(1099511627776 bytes), but only",
                          "bytes of tensor data remain"});
  // dims whose product overflows 64 bits.
  p = rewritten(path("ovf.tfck"), [](Payload& pl, std::string&) {
    Payload::setDims(pl.tensor(1), {int64_t{1} << 62, int64_t{1} << 62});
  });
  expectError<DataError>([&] { readCheckpoint(p); }, p,
                         {"tensor 'conv1.b' declares dims"});
}

TEST_F(CheckpointTest, RejectsBadTableExtents) {  // F04
  struct Case {
    const char* what;
    std::function<void(Payload&, std::string&)> edit;
    std::string expected;
  };
  std::vector<Case> cases = {
      {"offset past end",
       [](Payload& pl, std::string&) {
         Payload::setU64(pl.tensor(2), "offset", uint64_t{1} << 50);
       },
       "tensor 'fc.w' has offset 1125899906842624, expected 624"},
      {"overlapping tensors",
       [](Payload& pl, std::string&) {
         Payload::setU64(pl.tensor(1), "offset", 0);
       },
       "tensor 'conv1.b' has offset 0, expected 600"},
      {"size field disagrees with dims",
       [](Payload& pl, std::string&) {
         Payload::setU64(pl.tensor(0), "size", 4);
       },
       "tensor 'conv1.w' has size field 4, expected 600"},
      {"negative dim",
       [](Payload& pl, std::string&) { Payload::setDims(pl.tensor(1), {-6}); },
       "tensor 'conv1.b' has negative dims [-6]"},
      {"data region longer than the table",
       [](Payload& pl, std::string& data) { data += std::string(8, '\0'); },
       "tensor table covers 2208 bytes of tensor data, found 2216"},
      {"rank above the limit",
       [](Payload& pl, std::string&) {
         Payload::setDims(pl.tensor(1), {1, 1, 1, 1, 1, 1, 1, 1, 6});
       },
       "tensor 'conv1.b' has rank 9, expected at most 8"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    std::string p = rewritten(path("x.tfck"), c.edit);
    expectError<DataError>([&] { readCheckpoint(p); }, p, {c.expected});
  }
}

TEST_F(CheckpointTest, RejectsNonFiniteParamNamingTensorAndCount) {  // D01
  std::string p =
      rewritten(path("nan.tfck"), [](Payload& pl, std::string& data) {
        // conv1.b starts at byte 600 of the data region.
        float nan = std::numeric_limits<float>::quiet_NaN();
        float inf = std::numeric_limits<float>::infinity();
        std::memcpy(&data[600], &nan, 4);
        std::memcpy(&data[608], &inf, 4);
        Payload::setU32(pl.tensor(1), "crc32", crc32Of(&data[600], 24));
      });
  expectError<DataError>([&] { readCheckpoint(p); }, p,
                         {"tensor 'conv1.b' has 2 non-finite values "
                          "(1 NaN, 1 Inf)"});
}

TEST_F(CheckpointTest, WriterRefusesInvalidTensors) {
  CheckpointData d = sampleData();
  d.params[1].data[3] = std::numeric_limits<float>::quiet_NaN();
  expectError<NumericError>([&] { writeCheckpoint(path("n.tfck"), d); },
                            path("n.tfck"),
                            {"tensor 'conv1.b' has 1 non-finite values"});
  d = sampleData();
  d.params[0].dims = {16, 1, 5, 5};
  expectError<UsageError>([&] { writeCheckpoint(path("n.tfck"), d); },
                          path("n.tfck"),
                          {"tensor 'conv1.w' has dims [16,1,5,5] (400 "
                           "values), found 150 values"});
  d = sampleData();
  d.optimizerState[1].name = d.optimizerState[0].name;
  expectError<UsageError>([&] { writeCheckpoint(path("n.tfck"), d); },
                          path("n.tfck"), {"duplicate"});
  EXPECT_TRUE(listing(dir_).empty());
}

// -------------------------------------------------------- compatibility

std::vector<std::pair<std::string, Dims>> modelOf(const CheckpointData& d) {
  std::vector<std::pair<std::string, Dims>> m;
  for (const CheckpointTensor& t : d.params) m.emplace_back(t.name, t.dims);
  return m;
}

TEST_F(CheckpointTest, CompatibleWithItsOwnModel) {
  CheckpointData d = sampleData();
  EXPECT_NO_THROW(checkCompatible(d, "c.tfck", modelOf(d), d.modelFingerprint));
}

TEST_F(CheckpointTest, RejectsOtherModelListingNames) {  // F06
  CheckpointData d = sampleData();
  auto model = modelOf(d);
  model.erase(model.begin() + 2);  // no fc.w
  model.emplace_back("fc1.w", Dims{120, 400});
  model.emplace_back("fc1.b", Dims{120});
  expectError<DataError>(
      [&] { checkCompatible(d, "c.tfck", model, 77); }, "c.tfck",
      {"checkpoint of model 'lenet5' does not match the model: ",
       "missing tensors: fc1.w, fc1.b", "unexpected tensors: fc.w",
       "model fingerprint: checkpoint 0x1234567890abcdef, model "
       "0x000000000000004d"});
}

TEST_F(CheckpointTest, RejectsShapeMismatch) {  // F07
  CheckpointData d = sampleData();
  auto model = modelOf(d);
  model[0].second = {16, 1, 5, 5};
  expectError<DataError>(
      [&] { checkCompatible(d, "c.tfck", model, d.modelFingerprint); },
      "c.tfck",
      {"size mismatch for conv1.w: checkpoint [6,1,5,5], model [16,1,5,5]"});
}

TEST_F(CheckpointTest, RejectsFingerprintMismatchAlone) {  // F06
  CheckpointData d = sampleData();
  expectError<DataError>(
      [&] { checkCompatible(d, "c.tfck", modelOf(d), 1); }, "c.tfck",
      {"model fingerprint: checkpoint 0x1234567890abcdef, model "
       "0x0000000000000001"});
}

// ------------------------------------------------------ faults on write

/// Runs fn in a forked child and returns its wait status; the child's
/// message (written to `msg`) comes back through a pipe.
int runChild(const std::function<int(std::string& msg)>& fn,
             std::string& msgOut) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    std::string msg;
    int code = 98;
    try {
      code = fn(msg);
    } catch (const std::exception& e) {  // never return into the test runner
      msg = e.what();
    }
    ssize_t w = ::write(fds[1], msg.data(), msg.size());
    ::_exit(w < 0 ? 99 : code);
  }
  ::close(fds[1]);
  char buf[4096];
  ssize_t r;
  while ((r = ::read(fds[0], buf, sizeof buf)) > 0) {
    msgOut.append(buf, static_cast<size_t>(r));
  }
  ::close(fds[0]);
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
  return status;
}

/// Runs fn in a forked child, expecting it to throw IoError; returns the
/// error's message.
std::string ioErrorInChild(const std::function<void()>& fn) {
  std::string msg;
  int status = runChild(
      [&](std::string& m) {
        try {
          fn();
        } catch (const IoError& e) {
          m = e.what();
          return 0;
        } catch (const std::exception& e) {
          m = e.what();
          return 1;
        }
        return 2;
      },
      msg);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "wait status " << status << ": " << msg;
  return msg;
}

/// A checkpoint of several hundred KB (larger than the file size limit).
CheckpointData bigData(int64_t step) {
  CheckpointData d = sampleData(step);
  d.params.push_back(makeTensor("big", {200, 500}, 0.6f));
  return d;
}

/// Caps file sizes at 64 KiB and turns SIGXFSZ into EFBIG.
void limitFileSize() {
  std::signal(SIGXFSZ, SIG_IGN);
  rlimit lim{64 * 1024, 64 * 1024};
  ::setrlimit(RLIMIT_FSIZE, &lim);
}

TEST_F(CheckpointTest, DiskFullKeepsPreviousFileAndRemovesTemp) {  // F10
  std::string p = path("model.tfck");
  writeCheckpoint(p, sampleData(10));
  std::string msg = ioErrorInChild([&] {
    limitFileSize();
    writeCheckpoint(p, bigData(20));
  });
  EXPECT_THAT(msg, StartsWith(p + ": error: write failed: "));
  EXPECT_THAT(msg, HasSubstr(std::strerror(EFBIG)));
  EXPECT_EQ(listing(dir_), std::vector<std::string>{"model.tfck"});
  EXPECT_EQ(readCheckpoint(p).step, 10);
}

TEST_F(CheckpointTest, DiskFullDuringSaveKeepsLatest) {  // F10
  std::string first;
  {
    CheckpointDir ckpts(path("run"), 3);
    first = ckpts.save(sampleData(10), true);
  }
  std::string msg = ioErrorInChild([&] {
    CheckpointDir ckpts(path("run"), 3);
    limitFileSize();
    ckpts.save(bigData(20), true);
  });
  EXPECT_THAT(msg, StartsWith(path("run/ckpt-20.tfck") + ": error: "));
  CheckpointDir ckpts(path("run"), 3);
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(ckpts.latest(), first);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(listing(path("run")),
            (std::vector<std::string>{"best.tfck", "ckpt-10.tfck", "latest",
                                      "lock"}));
  EXPECT_EQ(readCheckpoint(path("run/best.tfck")).step, 10);
}

std::vector<std::string> recordedStages;
std::vector<std::string> recordedFiles;
int killAtCall = -1;
int hookCalls = 0;

void recordHook(const char* stage, const std::string& file) {
  recordedStages.emplace_back(stage);
  recordedFiles.push_back(file);
  if (std::string(stage) == "fsync") {
    // The temporary file is complete before it is synced...
    struct stat st {};
    EXPECT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(static_cast<uint64_t>(st.st_size), le64(readBytes(file), 16));
  }
  if (std::string(stage) == "rename") {
    // ...and nothing exists under the final name until the rename.
    EXPECT_FALSE(fs::exists(file)) << file;
  }
}

void killHook(const char*, const std::string&) {
  if (hookCalls++ == killAtCall) std::raise(SIGKILL);
}

TEST_F(CheckpointTest, WritesTempThenFsyncsRenamesAndSyncsDir) {  // F13
  recordedStages.clear();
  recordedFiles.clear();
  detail::setAtomicWriteHook(recordHook);
  writeCheckpoint(path("o.tfck"), sampleData());
  detail::setAtomicWriteHook(nullptr);
  // One write for header + payload, one per tensor.
  std::vector<std::string> expected = {"open",  "write",  "write",    "write",
                                       "write", "write",  "write",    "fsync",
                                       "close", "rename", "fsync-dir"};
  EXPECT_EQ(recordedStages, expected);
  std::string tmp = path("o.tfck") + ".tmp-" + std::to_string(::getpid());
  EXPECT_EQ(recordedFiles.front(), tmp);
  EXPECT_EQ(recordedFiles[recordedFiles.size() - 2], path("o.tfck"));
  EXPECT_EQ(recordedFiles.back(), dir_);
  EXPECT_EQ(readCheckpoint(path("o.tfck")).step, sampleData().step);
}

TEST_F(CheckpointTest, KillAtEveryWriteStageLeavesOldOrNew) {  // F12, G02
  // Count the hooked calls of one save.
  {
    CheckpointDir probe(path("probe"), 2);
    probe.save(sampleData(1), true);
    hookCalls = 0;
    killAtCall = -1;
    detail::setAtomicWriteHook(killHook);
    probe.save(sampleData(2), true);
    detail::setAtomicWriteHook(nullptr);
  }
  const int calls = hookCalls;
  // ckpt-2.tfck and best.tfck: open, 6 writes, fsync, close, rename,
  // fsync-dir each; latest: open, write, fsync, close, rename, fsync-dir.
  ASSERT_EQ(calls, 28);
  for (int k = 0; k < calls; ++k) {
    SCOPED_TRACE("killed at hooked call " + std::to_string(k));
    std::string run = path("run" + std::to_string(k));
    {
      CheckpointDir ckpts(run, 2);
      ckpts.save(sampleData(1), true);
    }
    std::string unused;
    int status = runChild(
        [&](std::string&) {
          CheckpointDir ckpts(run, 2);
          hookCalls = 0;
          killAtCall = k;
          detail::setAtomicWriteHook(killHook);
          ckpts.save(sampleData(2), true);
          return 0;
        },
        unused);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
    CheckpointDir ckpts(run, 2);  // lock is free again; temporaries removed
    ::testing::internal::CaptureStderr();
    std::string latest = ckpts.latest();
    EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
    int64_t step = readCheckpoint(latest).step;
    EXPECT_TRUE(step == 1 || step == 2) << step;
    for (const std::string& name : listing(run)) {
      EXPECT_EQ(name.find(".tmp-"), std::string::npos) << name;
      if (name.size() > 5 && name.substr(name.size() - 5) == ".tfck") {
        EXPECT_NO_THROW(readCheckpoint(run + "/" + name)) << name;
      }
    }
  }
}

// ------------------------------------------------------------ directory

TEST_F(CheckpointTest, DirThatIsAFileFailsAtOnce) {  // F11
  writeBytes(path("file"), "x");
  expectError<IoError>([&] { CheckpointDir d(path("file"), 2); }, path("file"),
                       {"exists and is not a directory"});
  expectError<IoError>([&] { CheckpointDir d(path("file/sub"), 2); },
                       path("file/sub"),
                       {"cannot create checkpoint directory"});
  expectError<UsageError>([&] { CheckpointDir d(path("ok"), -1); }, path("ok"),
                          {"keep is -1, expected >= 0"});
}

TEST_F(CheckpointTest, ReadOnlyDirFailsAtOnce) {  // F11
  fs::create_directory(path("ro"));
  fs::permissions(path("ro"), fs::perms::owner_read | fs::perms::owner_exec |
                                  fs::perms::others_read |
                                  fs::perms::others_exec);
  fs::permissions(dir_, fs::perms::others_read | fs::perms::others_exec,
                  fs::perm_options::add);
  std::string msg = ioErrorInChild([&] {
    // Root ignores permissions: try as an unprivileged user instead.
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0))
      throw std::runtime_error("cannot drop root privileges");
    CheckpointDir d(path("ro"), 2);
  });
  EXPECT_EQ(msg, path("ro") +
                     ": error: checkpoint directory is not "
                     "writable: " +
                     std::strerror(EACCES));
}

TEST_F(CheckpointTest, CreatesMissingParents) {
  CheckpointDir d(path("a/b/run"), 2);
  EXPECT_TRUE(fs::is_directory(path("a/b/run")));
  EXPECT_EQ(d.dir(), path("a/b/run"));
  EXPECT_EQ(d.save(sampleData(5), false), path("a/b/run/ckpt-5.tfck"));
}

TEST_F(CheckpointTest, SecondTrainerOnSameDirGetsHolderPid) {  // F15
  CheckpointDir first(path("run"), 2);
  expectError<IoError>([&] { CheckpointDir second(path("run"), 2); },
                       path("run"),
                       {"in use by another trainer (lock held by pid " +
                        std::to_string(::getpid()) + ")"});
}

TEST_F(CheckpointTest, LockHeldByOtherProcessIsReleasedWhenItExits) {  // F15
  int go[2], done[2];
  ASSERT_EQ(::pipe(go), 0);
  ASSERT_EQ(::pipe(done), 0);
  std::fflush(nullptr);
  pid_t child = ::fork();
  if (child == 0) {
    char c = 0;
    CheckpointDir held(path("run"), 2);
    ssize_t w = ::write(go[1], "k", 1);
    ssize_t r = ::read(done[0], &c, 1);  // hold the lock until told
    ::_exit(w == 1 && r >= 0 ? 0 : 1);
  }
  char c = 0;
  ASSERT_EQ(::read(go[0], &c, 1), 1);
  expectError<IoError>([&] { CheckpointDir d(path("run"), 2); }, path("run"),
                       {"lock held by pid " + std::to_string(child) + ")"});
  ASSERT_EQ(::write(done[1], "x", 1), 1);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  for (int fd : {go[0], go[1], done[0], done[1]}) ::close(fd);
  EXPECT_NO_THROW(CheckpointDir(path("run"), 2));
}

TEST_F(CheckpointTest, LatestFollowsPointer) {
  CheckpointDir d(path("run"), 0);
  d.save(sampleData(3), false);
  std::string p7 = d.save(sampleData(7), false);
  EXPECT_EQ(readBytes(path("run/latest")), "ckpt-7.tfck\n");
  EXPECT_EQ(d.latest(), p7);
}

TEST_F(CheckpointTest, CorruptPointerFallsBackToNewestValid) {  // F14
  CheckpointDir d(path("run"), 0);
  d.save(sampleData(3), false);
  std::string p5 = d.save(sampleData(5), false);
  std::string p9 = d.save(sampleData(9), false);
  struct Case {
    const char* what;
    std::string pointer;
    std::string warning;
  };
  for (const Case& c : std::vector<Case>{
           {"garbage", std::string("\x01\x02/..", 5), "malformed"},
           {"escapes the dir", "../ckpt-9.tfck\n", "malformed"},
           {"empty", "", "malformed"},
           {"deleted file", "ckpt-11.tfck\n", "names 'ckpt-11.tfck'"}}) {
    SCOPED_TRACE(c.what);
    writeBytes(path("run/latest"), c.pointer);
    ::testing::internal::CaptureStderr();
    EXPECT_EQ(d.latest(), p9);
    std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_THAT(err, StartsWith(path("run/latest") + ": warning: "));
    EXPECT_THAT(err, HasSubstr(c.warning));
    EXPECT_THAT(err, HasSubstr("using " + p9));
  }
  // The pointer names a corrupt newest file: the one before it is used.
  std::string bytes = readBytes(p9);
  writeBytes(p9, bytes.substr(0, bytes.size() / 2));
  writeBytes(path("run/latest"), "ckpt-9.tfck\n");
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(d.latest(), p5);
  EXPECT_THAT(::testing::internal::GetCapturedStderr(),
              HasSubstr("truncated file"));
  fs::remove(path("run/latest"));
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(d.latest(), p5);
  EXPECT_THAT(::testing::internal::GetCapturedStderr(),
              HasSubstr("cannot open"));
}

TEST_F(CheckpointTest, NoValidCheckpointListsCandidates) {  // F14
  CheckpointDir d(path("run"), 0);
  expectError<DataError>([&] { d.latest(); }, path("run"),
                         {"no checkpoint found"});
  std::string p1 = d.save(sampleData(1), false);
  std::string p2 = d.save(sampleData(2), false);
  writeBytes(p1, "junk");
  writeBytes(p2, readBytes(p2).substr(0, 100));
  expectError<DataError>(
      [&] { d.latest(); }, path("run"),
      {"no valid checkpoint: latest (names 'ckpt-2.tfck': truncated file",
       "ckpt-1.tfck (not a tapeflow checkpoint"});
}

TEST_F(CheckpointTest, KeepTwoDeletesOlderButNeverBest) {
  CheckpointDir d(path("run"), 2);
  d.save(sampleData(1), true);
  d.save(sampleData(2), false);
  d.save(sampleData(3), false);
  d.save(sampleData(4), false);
  EXPECT_EQ(listing(path("run")),
            (std::vector<std::string>{"best.tfck", "ckpt-3.tfck", "ckpt-4.tfck",
                                      "latest", "lock"}));
  EXPECT_EQ(readCheckpoint(path("run/best.tfck")).step, 1);
  // A save at an older step (after resuming from it) is never pruned.
  d.save(sampleData(2), true);
  EXPECT_EQ(listing(path("run")),
            (std::vector<std::string>{"best.tfck", "ckpt-2.tfck", "ckpt-4.tfck",
                                      "latest", "lock"}));
  EXPECT_EQ(readCheckpoint(path("run/best.tfck")).step, 2);
  EXPECT_EQ(d.latest(), path("run/ckpt-2.tfck"));
}

TEST_F(CheckpointTest, OpeningDirRemovesStaleTemporaries) {
  fs::create_directory(path("run"));
  writeBytes(path("run/ckpt-4.tfck.tmp-12345"), "partial");
  writeBytes(path("run/latest.tmp-99"), "ckpt");
  writeBytes(path("run/notes.tmp-1"), "user file");
  CheckpointDir d(path("run"), 2);
  EXPECT_EQ(listing(path("run")),
            (std::vector<std::string>{"lock", "notes.tmp-1"}));
  EXPECT_EQ(readBytes(path("run/lock")), std::to_string(::getpid()) + "\n");
}

}  // namespace
}  // namespace tapeflow
