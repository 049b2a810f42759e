// tests/fuzz/fuzz_checkpoint.cpp - checkpoint files (.tfck).
//
// Every part of a checkpoint is CRC-checked, so random mutations almost never
// get past the header. The custom mutator therefore repairs what a mutation
// broke, most of the time: the file size, payload length, the tensor CRCs in
// the table (re-serialised), the payload CRC and the header CRC. One mutation
// in eight is left as it is, so the CRC checks themselves are fuzzed too.
// The harness reads whatever it is given, unrepaired.
#include <cstring>

#include "core/error.h"
#include "tests/fuzz/fuzz_support.h"
#include "train/checkpoint.h"
#include "train/checkpoint.pb.h"

namespace {

using tapeflow::crc32Of;
using tapeflow::kCheckpointHeaderBytes;

uint64_t le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
void putLe32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (8 * i));
}
void putLe64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = uint8_t(v >> (8 * i));
}

void fixTable(google::protobuf::RepeatedPtrField<tapeflow::proto::TensorDef>* t,
              const uint8_t* region, uint64_t regionBytes) {
  for (auto& def : *t)
    if (def.offset() <= regionBytes && def.size() <= regionBytes - def.offset())
      def.set_crc32(crc32Of(region + def.offset(), def.size()));
}

/// Repairs sizes and CRCs in place; returns the new size (<= maxSize).
size_t repair(uint8_t* d, size_t size, size_t maxSize) {
  if (size < kCheckpointHeaderBytes || std::memcmp(d, "TFLWCKPT", 8) != 0)
    return size;
  uint64_t payloadLen = le64(d + 24);
  if (payloadLen <= size - kCheckpointHeaderBytes) {
    uint8_t* payload = d + kCheckpointHeaderBytes;
    tapeflow::proto::CheckpointDef def;
    google::protobuf::LogSilencer quiet;  // mutated strings are rarely UTF-8
    if (def.ParseFromArray(payload, int(payloadLen))) {
      const uint8_t* region = payload + payloadLen;
      uint64_t regionBytes = size - kCheckpointHeaderBytes - payloadLen;
      fixTable(def.mutable_params(), region, regionBytes);
      fixTable(def.mutable_optimizer_state(), region, regionBytes);
      std::string fixed = def.SerializeAsString();
      size_t newSize = kCheckpointHeaderBytes + fixed.size() + regionBytes;
      if (newSize <= maxSize) {
        std::memmove(d + kCheckpointHeaderBytes + fixed.size(), region,
                     regionBytes);
        std::memcpy(payload, fixed.data(), fixed.size());
        size = newSize;
        payloadLen = fixed.size();
      }
    }
    putLe64(d + 24, payloadLen);
    putLe32(d + 32, crc32Of(payload, payloadLen));
  }
  putLe64(d + 16, size);
  putLe32(d + 36, crc32Of(d, 36));
  return size;
}

}  // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size,
                                          size_t maxSize, unsigned int seed) {
  size = LLVMFuzzerMutate(data, size, maxSize);
  if (seed % 8 == 0) return size;
  return repair(data, size, maxSize);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tapeflow;
  fuzz::MemFile file(data, size);
  try {
    CheckpointData c = readCheckpoint(file.path());
    checkCompatible(c, file.path(), {{"w", {2, 3}}, {"b", {3}}}, 42);
  } catch (const Error&) {
  }
  return 0;
}
