// tests/core/param_store_test.cpp - the parameter arena: every trainable
// param and its gradient in one contiguous, aligned buffer each, at the same
// offsets; constants outside; the gaps zero.
#include "core/param_store.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

#include "core/program.h"
#include "frontends/pbtxt/pbtxt_loader.h"
#include "ops/registry.h"

namespace tapeflow {
namespace {

// w: 5 values, k: a constant, u: 17 values, b: 16 values.
const char* kGraph = R"(
format_version: 1
name: "arena"
param { name: "w" shape: [5] init { kind: "ones" } }
param { name: "k" shape: [3] constant: true data: [4, 5, 6] }
param { name: "u" shape: [17] init { kind: "ones" } }
param { name: "b" shape: [4, 4] init { kind: "ones" } }
node { name: "a" op: "Add" input: ["w", "w"] output: "y" }
node { name: "c" op: "Add" input: ["u", "u"] output: "z" }
node { name: "d" op: "Add" input: ["b", "b"] output: "q" }
output: "y"
output: "z"
output: "q"
)";

struct Fixture {
  std::shared_ptr<const Program> program =
      Program::build(parseGraphText(kGraph, "arena.pbtxt"), ops::registry());
  ParamStore store{program};
  Fixture() { store.initialize(0); }
};

TEST(ParamStoreTest, TrainableParamsShareOneAlignedArena) {
  Fixture f;
  ParamStore& s = f.store;
  EXPECT_EQ(s.arenaOffset(0), 0);
  EXPECT_EQ(s.arenaOffset(1), -1) << "a constant is not in the arena";
  EXPECT_EQ(s.arenaOffset(2), 16) << "5 values padded to 16 floats";
  EXPECT_EQ(s.arenaOffset(3), 48) << "17 values padded to 32 floats";
  EXPECT_EQ(s.arenaSize(), 64);
  for (int p : {0, 2, 3}) {
    EXPECT_EQ(s.data(p), s.paramArena() + s.arenaOffset(p));
    EXPECT_EQ(s.gradData(p), s.gradArena() + s.arenaOffset(p));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(s.data(p)) % 64, 0u);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(s.gradData(p)) % 64, 0u);
  }
  EXPECT_EQ(s.data(1)[2], 6.f);
  // Values where the params are, zeros in the gaps; gradients all zero.
  for (int64_t i = 0; i < s.arenaSize(); ++i) {
    bool inParam = i < 5 || (i >= 16 && i < 33) || i >= 48;
    EXPECT_EQ(s.paramArena()[i], inParam ? 1.f : 0.f) << i;
    EXPECT_EQ(s.gradArena()[i], 0.f) << i;
  }
}

}  // namespace
}  // namespace tapeflow
