// train/checkpoint.cpp - .tfck files: atomic write, verified read,
// model compatibility checks.
#include "train/checkpoint.h"

#include "train/checkpoint.pb.h"

#include <google/protobuf/stubs/logging.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <set>

#include "core/atomic_file.h"
#include "core/error.h"

namespace tapeflow {

// NOTE: the format stores integers and float32 values little-endian, and the
// writer copies float memory as is; a big-endian port needs byte swapping in
// writeCheckpoint and readCheckpoint.
static_assert(std::endian::native == std::endian::little,
              "checkpoint I/O assumes a little-endian host");

namespace {

constexpr char kMagic[8] = {'T', 'F', 'L', 'W', 'C', 'K', 'P', 'T'};
constexpr uint64_t kFnvPrime = 0x100000001b3ull;
// The payload holds names, dims and the solver text only.
constexpr uint64_t kMaxPayloadBytes = uint64_t{1} << 30;
constexpr size_t kMaxListed = 8;

std::string osError(int err) { return std::strerror(err); }

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08" PRIx32, v);
  return buf;
}

std::string hex64(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016" PRIx64, v);
  return buf;
}

[[noreturn]] void dataError(const std::string& path, const std::string& msg) {
  throw DataError(SourceLoc{path, 0, 0}, "", "", msg);
}
[[noreturn]] void ioError(const std::string& path, const std::string& msg) {
  throw IoError(SourceLoc{path, 0, 0}, "", "", msg);
}
[[noreturn]] void usageError(const std::string& path, const std::string& msg) {
  throw UsageError(SourceLoc{path, 0, 0}, "", "", msg);
}

void putLe32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void putLe64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t le32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
uint64_t le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

/// Closes a file descriptor on scope exit.
struct FdCloser {
  int fd = -1;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

/// Counts NaN and Inf values.
std::pair<int64_t, int64_t> countNonFinite(const std::vector<float>& v) {
  int64_t nans = 0, infs = 0;
  for (float x : v) {
    nans += std::isnan(x) ? 1 : 0;
    infs += std::isinf(x) ? 1 : 0;
  }
  return {nans, infs};
}

std::string nonFiniteMsg(const std::string& name, int64_t nans, int64_t infs) {
  return "tensor '" + name + "' has " + std::to_string(nans + infs) +
         " non-finite values (" + std::to_string(nans) + " NaN, " +
         std::to_string(infs) + " Inf)";
}

/// Checks tensors before writing and fills their table entries.
void addTensors(const std::string& path,
                const std::vector<CheckpointTensor>& tensors, const char* kind,
                uint64_t& offset,
                google::protobuf::RepeatedPtrField<proto::TensorDef>* out) {
  std::set<std::string> seen;
  for (const CheckpointTensor& t : tensors) {
    if (t.name.empty()) usageError(path, std::string(kind) + " with no name");
    if (!seen.insert(t.name).second) {
      usageError(path, std::string("duplicate ") + kind + " '" + t.name + "'");
    }
    int64_t n = checkedNumel(t.dims);
    if (n < 0 || t.dims.size() > static_cast<size_t>(kMaxRank)) {
      usageError(path,
                 "tensor '" + t.name + "' has invalid dims " + dimsStr(t.dims));
    }
    if (static_cast<uint64_t>(n) != t.data.size()) {
      usageError(path, "tensor '" + t.name + "' has dims " + dimsStr(t.dims) +
                           " (" + std::to_string(n) + " values), found " +
                           std::to_string(t.data.size()) + " values");
    }
    auto [nans, infs] = countNonFinite(t.data);
    if (nans + infs > 0) {
      throw NumericError(
          SourceLoc{path, 0, 0}, "", "",
          nonFiniteMsg(t.name, nans, infs) + "; checkpoint not written");
    }
    proto::TensorDef* def = out->Add();
    def->set_name(t.name);
    for (int64_t d : t.dims) def->add_dims(d);
    uint64_t bytes = t.data.size() * sizeof(float);
    def->set_offset(offset);
    def->set_size(bytes);
    def->set_crc32(crc32Of(t.data.data(), bytes));
    offset += bytes;
  }
}

/// Reads exactly n bytes at off; a short read means the file shrank.
void readAt(int fd, const std::string& path, void* buf, size_t n,
            uint64_t off) {
  auto* p = static_cast<uint8_t*>(buf);
  while (n > 0) {
    ssize_t r = ::pread(fd, p, std::min<size_t>(n, size_t{1} << 30),
                        static_cast<off_t>(off));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) ioError(path, "read failed: " + osError(errno));
    if (r == 0) {
      dataError(path, "truncated file: file shrank while being read at byte " +
                          std::to_string(off));
    }
    p += r;
    off += static_cast<uint64_t>(r);
    n -= static_cast<size_t>(r);
  }
}

/// Saturating product of non-negative dims times sizeof(float).
uint64_t declaredBytes(const google::protobuf::RepeatedField<int64_t>& dims) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  uint64_t bytes = sizeof(float);
  for (int64_t d : dims) {
    uint64_t u = static_cast<uint64_t>(d);
    if (u != 0 && bytes > kMax / u) return kMax;
    bytes *= u;
  }
  return bytes;
}

/// Validates a tensor table against the data region before any allocation.
void checkTable(const std::string& path,
                const google::protobuf::RepeatedPtrField<proto::TensorDef>& t,
                const char* kind, uint64_t dataBytes, uint64_t& offset) {
  std::set<std::string> seen;
  for (const proto::TensorDef& def : t) {
    const std::string& name = def.name();
    if (name.empty()) dataError(path, std::string(kind) + " with no name");
    if (!seen.insert(name).second) {
      dataError(path, std::string("duplicate ") + kind + " '" + name + "'");
    }
    Dims dims(def.dims().begin(), def.dims().end());
    if (dims.size() > static_cast<size_t>(kMaxRank)) {
      dataError(path, "tensor '" + name + "' has rank " +
                          std::to_string(dims.size()) + ", expected at most " +
                          std::to_string(kMaxRank));
    }
    for (int64_t d : dims) {
      if (d < 0) {
        dataError(path,
                  "tensor '" + name + "' has negative dims " + dimsStr(dims));
      }
    }
    uint64_t bytes = declaredBytes(def.dims());
    uint64_t left = dataBytes - offset;
    if (bytes > left) {
      dataError(path, "tensor '" + name + "' declares dims " + dimsStr(dims) +
                          " (" + std::to_string(bytes) + " bytes), but only " +
                          std::to_string(left) +
                          " bytes of tensor data remain in the file");
    }
    if (def.size() != bytes) {
      dataError(path, "tensor '" + name + "' has size field " +
                          std::to_string(def.size()) + ", expected " +
                          std::to_string(bytes) + " for dims " + dimsStr(dims));
    }
    if (def.offset() != offset) {
      dataError(path, "tensor '" + name + "' has offset " +
                          std::to_string(def.offset()) + ", expected " +
                          std::to_string(offset) +
                          " (tensors are contiguous and in table order)");
    }
    if (checkedNumel(dims) < 0) {
      dataError(path, "tensor '" + name + "' has dims " + dimsStr(dims) +
                          ", more than " + std::to_string(kMaxElements) +
                          " elements");
    }
    offset += bytes;
  }
}

/// Reads the tensors of a validated table, checking CRCs and values.
std::vector<CheckpointTensor> readTensors(
    int fd, const std::string& path,
    const google::protobuf::RepeatedPtrField<proto::TensorDef>& table,
    uint64_t dataStart) {
  std::vector<CheckpointTensor> out;
  out.reserve(static_cast<size_t>(table.size()));
  for (const proto::TensorDef& def : table) {
    CheckpointTensor t;
    t.name = def.name();
    t.dims.assign(def.dims().begin(), def.dims().end());
    t.data.resize(def.size() / sizeof(float));
    readAt(fd, path, t.data.data(), def.size(), dataStart + def.offset());
    uint32_t crc = crc32Of(t.data.data(), def.size());
    if (crc != def.crc32()) {
      dataError(path, "tensor '" + t.name + "' is corrupt: stored crc32 " +
                          hex32(def.crc32()) + ", computed " + hex32(crc));
    }
    auto [nans, infs] = countNonFinite(t.data);
    if (nans + infs > 0) dataError(path, nonFiniteMsg(t.name, nans, infs));
    out.push_back(std::move(t));
  }
  return out;
}

void checkNonNegative(const std::string& path, const char* field, int64_t v) {
  if (v < 0) {
    dataError(path, std::string("field '") + field + "' is " +
                        std::to_string(v) + ", expected >= 0");
  }
}

std::string listNames(const std::vector<std::string>& names) {
  std::string s;
  for (size_t i = 0; i < names.size() && i < kMaxListed; ++i) {
    if (i) s += ", ";
    s += names[i];
  }
  if (names.size() > kMaxListed) {
    s += " and " + std::to_string(names.size() - kMaxListed) + " more";
  }
  return s;
}

}  // namespace

uint32_t crc32Of(const void* data, size_t n) {
  const auto* p = static_cast<const Bytef*>(data);
  uLong crc = ::crc32(0L, Z_NULL, 0);
  while (n > 0) {
    uInt chunk = static_cast<uInt>(std::min<size_t>(n, size_t{1} << 30));
    crc = ::crc32(crc, p, chunk);
    p += chunk;
    n -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

uint64_t fnv1a64(const void* data, size_t n, uint64_t seed) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t h = seed;
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= kFnvPrime;
  }
  return h;
}

void writeCheckpoint(const std::string& path, const CheckpointData& data) {
  proto::CheckpointDef def;
  def.set_model_name(data.modelName);
  def.set_model_fingerprint(data.modelFingerprint);
  def.set_data_fingerprint(data.dataFingerprint);
  def.set_step(data.step);
  def.set_epoch(data.epoch);
  def.set_position_in_epoch(data.positionInEpoch);
  def.set_seed(data.seed);
  def.set_threads(data.threads);
  def.set_ranks(data.ranks);
  def.set_best_metric(data.bestMetric);
  def.set_best_step(data.bestStep);
  def.set_solver_text(data.solverText);
  def.set_graph_text(data.graphText);
  def.set_optimizer_steps(data.optimizerSteps);
  uint64_t dataBytes = 0;
  addTensors(path, data.params, "param", dataBytes, def.mutable_params());
  addTensors(path, data.optimizerState, "optimizer state tensor", dataBytes,
             def.mutable_optimizer_state());

  std::string payload;
  if (!def.SerializeToString(&payload)) {
    usageError(path, "checkpoint metadata cannot be serialized");
  }
  std::vector<uint8_t> head(kCheckpointHeaderBytes + payload.size());
  std::memcpy(head.data(), kMagic, sizeof kMagic);
  putLe32(&head[8], static_cast<uint32_t>(kCheckpointFormatVersion));
  putLe32(&head[12], 0);
  putLe64(&head[16], kCheckpointHeaderBytes + payload.size() + dataBytes);
  putLe64(&head[24], payload.size());
  putLe32(&head[32], crc32Of(payload.data(), payload.size()));
  putLe32(&head[36], crc32Of(head.data(), 36));
  std::memcpy(head.data() + kCheckpointHeaderBytes, payload.data(),
              payload.size());

  AtomicFile out(path);
  out.write(head.data(), head.size());
  for (const auto* list : {&data.params, &data.optimizerState}) {
    for (const CheckpointTensor& t : *list) {
      out.write(t.data.data(), t.data.size() * sizeof(float));
    }
  }
  out.commit();
}

CheckpointData readCheckpoint(const std::string& path) {
  FdCloser fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.fd < 0) {
    int err = errno;
    ioError(path, "cannot open checkpoint: " + osError(err));
  }
  struct stat st {};
  if (::fstat(fd.fd, &st) != 0) ioError(path, "cannot stat: " + osError(errno));
  if (!S_ISREG(st.st_mode)) {
    dataError(path, "not a regular file, expected a checkpoint file");
  }
  const uint64_t fileSize = static_cast<uint64_t>(st.st_size);

  uint8_t h[kCheckpointHeaderBytes] = {};
  size_t headLen =
      static_cast<size_t>(std::min<uint64_t>(fileSize, kCheckpointHeaderBytes));
  readAt(fd.fd, path, h, headLen, 0);
  size_t magicLen = std::min(headLen, sizeof kMagic);
  if (std::memcmp(h, kMagic, magicLen) != 0) {
    dataError(path, "not a tapeflow checkpoint: expected magic \"TFLWCKPT\"");
  }
  if (fileSize < kCheckpointHeaderBytes) {
    dataError(path, "truncated header: expected at least " +
                        std::to_string(kCheckpointHeaderBytes) +
                        " bytes, found " + std::to_string(fileSize));
  }
  // The header CRC first: a flipped version byte is corruption, not a
  // file from a newer build.
  uint32_t headCrc = crc32Of(h, 36);
  if (headCrc != le32(&h[36])) {
    dataError(path, "corrupt header: stored header crc32 " +
                        hex32(le32(&h[36])) + ", computed " + hex32(headCrc));
  }
  uint32_t version = le32(&h[8]);
  if (version == 0) {
    dataError(path, "corrupt header: format version 0, expected 1.." +
                        std::to_string(kCheckpointFormatVersion));
  }
  if (version > static_cast<uint32_t>(kCheckpointFormatVersion)) {
    dataError(path, "format version " + std::to_string(version) +
                        " is newer than this build supports (" +
                        std::to_string(kCheckpointFormatVersion) +
                        "); use a newer tapeflow");
  }
  if (le32(&h[12]) != 0) {
    dataError(path, "corrupt header: reserved field is " + hex32(le32(&h[12])) +
                        ", expected 0");
  }
  uint64_t declaredSize = le64(&h[16]);
  if (declaredSize != fileSize) {
    dataError(path, std::string(fileSize < declaredSize
                                    ? "truncated file"
                                    : "unexpected trailing data") +
                        ": expected " + std::to_string(declaredSize) +
                        " bytes, found " + std::to_string(fileSize));
  }
  uint64_t payloadLen = le64(&h[24]);
  if (payloadLen > fileSize - kCheckpointHeaderBytes) {
    dataError(path, "corrupt header: payload length " +
                        std::to_string(payloadLen) + " exceeds the " +
                        std::to_string(fileSize - kCheckpointHeaderBytes) +
                        " bytes after the header");
  }
  if (payloadLen > kMaxPayloadBytes) {
    dataError(path, "payload length " + std::to_string(payloadLen) +
                        " exceeds the limit of " +
                        std::to_string(kMaxPayloadBytes) + " bytes");
  }
  std::string payload(static_cast<size_t>(payloadLen), '\0');
  readAt(fd.fd, path, payload.data(), payload.size(), kCheckpointHeaderBytes);
  uint32_t payloadCrc = crc32Of(payload.data(), payload.size());
  if (payloadCrc != le32(&h[32])) {
    dataError(path, "corrupt header or payload: stored payload crc32 " +
                        hex32(le32(&h[32])) + ", computed " +
                        hex32(payloadCrc));
  }
  proto::CheckpointDef def;
  bool parsed;
  {
    // protobuf would log "[libprotobuf ERROR ...]" for a string that is not
    // UTF-8 (a payload with a valid CRC can hold one); our one line suffices.
    google::protobuf::LogSilencer quiet;
    parsed = def.ParseFromString(payload);
  }
  if (!parsed) {
    dataError(path,
              "corrupt payload: checkpoint metadata does not parse (malformed "
              "protobuf or a string that is not UTF-8)");
  }

  const uint64_t dataStart = kCheckpointHeaderBytes + payloadLen;
  const uint64_t dataBytes = fileSize - dataStart;
  uint64_t covered = 0;
  checkTable(path, def.params(), "param", dataBytes, covered);
  checkTable(path, def.optimizer_state(), "optimizer state tensor", dataBytes,
             covered);
  if (covered != dataBytes) {
    dataError(path, "tensor table covers " + std::to_string(covered) +
                        " bytes of tensor data, found " +
                        std::to_string(dataBytes));
  }
  checkNonNegative(path, "step", def.step());
  checkNonNegative(path, "epoch", def.epoch());
  checkNonNegative(path, "position_in_epoch", def.position_in_epoch());
  checkNonNegative(path, "threads", def.threads());
  checkNonNegative(path, "ranks", def.ranks());
  checkNonNegative(path, "optimizer_steps", def.optimizer_steps());

  CheckpointData out;
  out.formatVersion = static_cast<int32_t>(version);
  out.modelName = def.model_name();
  out.modelFingerprint = def.model_fingerprint();
  out.dataFingerprint = def.data_fingerprint();
  out.step = def.step();
  out.epoch = def.epoch();
  out.positionInEpoch = def.position_in_epoch();
  out.seed = def.seed();
  out.threads = def.threads();
  out.ranks = std::max(def.ranks(), 1);
  out.bestMetric = def.best_metric();
  out.bestStep = def.best_step();
  out.solverText = def.solver_text();
  out.graphText = def.graph_text();
  out.optimizerSteps = def.optimizer_steps();
  out.params = readTensors(fd.fd, path, def.params(), dataStart);
  out.optimizerState =
      readTensors(fd.fd, path, def.optimizer_state(), dataStart);
  return out;
}

void checkCompatible(
    const CheckpointData& ckpt, const std::string& path,
    const std::vector<std::pair<std::string, Dims>>& modelParams,
    uint64_t modelFingerprint) {
  std::map<std::string, const Dims*> inCkpt;
  for (const CheckpointTensor& t : ckpt.params) inCkpt[t.name] = &t.dims;
  std::set<std::string> inModel;
  std::vector<std::string> missing, problems;
  for (const auto& [name, dims] : modelParams) {
    inModel.insert(name);
    auto it = inCkpt.find(name);
    if (it == inCkpt.end()) {
      missing.push_back(name);
    } else if (*it->second != dims) {
      problems.push_back("size mismatch for " + name + ": checkpoint " +
                         dimsStr(*it->second) + ", model " + dimsStr(dims));
    }
  }
  std::vector<std::string> unexpected;
  for (const CheckpointTensor& t : ckpt.params) {
    if (!inModel.count(t.name)) unexpected.push_back(t.name);
  }
  if (!unexpected.empty()) {
    problems.insert(problems.begin(),
                    "unexpected tensors: " + listNames(unexpected));
  }
  if (!missing.empty()) {
    problems.insert(problems.begin(), "missing tensors: " + listNames(missing));
  }
  if (ckpt.modelFingerprint != modelFingerprint) {
    problems.push_back("model fingerprint: checkpoint " +
                       hex64(ckpt.modelFingerprint) + ", model " +
                       hex64(modelFingerprint));
  }
  if (problems.empty()) return;
  std::string msg = "checkpoint";
  if (!ckpt.modelName.empty()) msg += " of model '" + ckpt.modelName + "'";
  msg += " does not match the model: ";
  for (size_t i = 0; i < problems.size(); ++i) {
    msg += (i ? "; " : "") + problems[i];
  }
  dataError(path, msg);
}

}  // namespace tapeflow
