// tests/support/tiny_mnist.h - a tiny MNIST-style data set and model for
// tests that run `tapeflow train`: 8x8 images whose class (0..3) is the
// bright quadrant, plus noise, and a small Conv2D + Linear model of them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

#include "core/param_store.h"

namespace tapeflow::testing {

inline void writeBigEndian32(std::ofstream& f, uint32_t v) {
  unsigned char b[4] = {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
  f.write(reinterpret_cast<char*>(b), 4);
}

/// Writes <dir>/<prefix>-images-idx3-ubyte and -labels-idx1-ubyte.
inline void writeQuadrantSplit(const std::filesystem::path& dir, const std::string& prefix,
                               int count, uint64_t seed) {
  Rng rng(seed);
  std::ofstream img(dir / (prefix + "-images-idx3-ubyte"), std::ios::binary);
  std::ofstream lab(dir / (prefix + "-labels-idx1-ubyte"), std::ios::binary);
  for (auto [f, magic] : {std::pair{&img, 2051u}, std::pair{&lab, 2049u}}) {
    writeBigEndian32(*f, magic);
    writeBigEndian32(*f, uint32_t(count));
  }
  writeBigEndian32(img, 8);
  writeBigEndian32(img, 8);
  for (int i = 0; i < count; ++i) {
    int cls = int(rng.next() % 4);
    lab.put(char(cls));
    for (int y = 0; y < 8; ++y)
      for (int x = 0; x < 8; ++x) {
        bool bright = (y / 4) * 2 + (x / 4) == cls;
        img.put(char(uint8_t(int(rng.next() % 60) + (bright ? 150 : 0))));
      }
  }
}

/// Writes a train split of 200 and a t10k split of 64 samples into `dir`.
inline void writeQuadrantData(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  writeQuadrantSplit(dir, "train", 200, 1);
  writeQuadrantSplit(dir, "t10k", 64, 2);
}

/// The model of the quadrant data, with `classes` outputs.
inline std::string quadrantModel(int64_t classes = 4) {
  const std::string c = std::to_string(classes);
  return R"(format_version: 1
name: "quad"
input { name: "image" dtype: F32 shape: [-1, 1, 8, 8] }
input { name: "label" dtype: I32 shape: [-1] }
param { name: "conv.w" shape: [4, 1, 3, 3] init { kind: "he_uniform" } }
param { name: "conv.b" shape: [4] init { kind: "zeros" } }
param { name: "fc.w" shape: [)" + c + R"(, 64] init { kind: "xavier_uniform" } }
param { name: "fc.b" shape: [)" + c + R"(] init { kind: "zeros" } }
node { name: "conv" op: "Conv2D" input: ["image", "conv.w", "conv.b"] output: "conv" attr { name: "padding" s: "SAME" } }
node { name: "relu" op: "Relu" input: "conv" output: "relu" }
node { name: "pool" op: "MaxPool" input: "relu" output: "pool" attr { name: "kernel" ints: [2, 2] } }
node { name: "flat" op: "Flatten" input: "pool" output: "flat" }
node { name: "fc" op: "Linear" input: ["flat", "fc.w", "fc.b"] output: "logits" }
node { name: "loss" op: "SoftmaxCrossEntropy" input: ["logits", "label"] output: "loss" }
loss: "loss"
prediction: "logits"
)";
}

}  // namespace tapeflow::testing
