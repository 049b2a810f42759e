// tests/core/memory_budget_test.cpp - the memory estimate from shapes,
// --mem-limit's sizes, the available memory and the refusal's wording.
#include "core/memory_budget.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "core/program.h"
#include "frontends/pbtxt/pbtxt_loader.h"
#include "ops/registry.h"
#include "tests/support/tiny_mnist.h"

namespace tapeflow {
namespace {

std::shared_ptr<const Program> quad(int64_t classes = 4) {
  return Program::build(parseGraphText(testing::quadrantModel(classes), "quad.pbtxt"),
                        ops::registry());
}

TEST(MemoryBudgetTest, EstimateSumsParamsGradientsStateAndActivations) {
  auto p = quad();
  // Params: conv.w 36, conv.b 4, fc.w 256, fc.b 4 elements.
  const int64_t params = (36 + 4 + 256 + 4) * 4;
  // Per sample: image 64, label 1, conv 256, relu 256, pool 64, flat 64,
  // logits 4 elements; the loss is one scalar.
  const int64_t batch = 3;
  const int64_t f32Outputs = batch * (256 + 256 + 64 + 64 + 4) * 4 + 4;
  const int64_t activations = batch * (64 + 1) * 4 + f32Outputs;
  MemoryEstimate e = estimateMemory(*p, batch, true, 2);
  EXPECT_EQ(e.params, params);
  EXPECT_EQ(e.grads, params);
  EXPECT_EQ(e.optimizerState, 2 * params);
  EXPECT_EQ(e.activations, activations);
  EXPECT_EQ(e.activationGrads, f32Outputs);
  EXPECT_EQ(e.total(), 4 * params + activations + f32Outputs);
  ASSERT_EQ(e.largest.size(), 3u);
  EXPECT_EQ(e.largest[0].bytes, batch * 256 * 4);
  EXPECT_FALSE(e.largest[0].isParam);
  MemoryEstimate inference = estimateMemory(*p, batch, false, 2);
  EXPECT_EQ(inference.total(), params + activations);
  // A huge batch saturates instead of overflowing.
  EXPECT_EQ(estimateMemory(*p, int64_t{1} << 62, true, 1).total(), INT64_MAX);
}

TEST(MemoryBudgetTest, SizesAreBinaryWithOptionalUnits) {
  EXPECT_EQ(memoryLimit("512M").bytes, int64_t{512} << 20);
  EXPECT_EQ(memoryLimit("2G").bytes, int64_t{2} << 30);
  EXPECT_EQ(memoryLimit("1.5g").bytes, int64_t{3} << 29);
  EXPECT_EQ(memoryLimit("3KiB").bytes, 3072);
  EXPECT_EQ(memoryLimit("1TB").bytes, int64_t{1} << 40);
  EXPECT_EQ(memoryLimit("123456").bytes, 123456);
  EXPECT_EQ(memoryLimit("2G").source, "--mem-limit");
  for (const char* bad : {"x", "-1G", "0", "2X", "1e30", "G", "1.5.2M", " 2G", "0.1"}) {
    try {
      memoryLimit(bad);
      ADD_FAILURE() << bad;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("--mem-limit expects a size"), std::string::npos)
          << e.what();
    }
  }
}

TEST(MemoryBudgetTest, AvailableMemoryIsReadFromTheSystem) {
  MemoryLimit m = availableMemory();
  ASSERT_GT(m.bytes, 0);  // /proc/meminfo exists wherever tapeflow runs
  EXPECT_TRUE(m.source == "MemAvailable" || m.source.rfind("cgroup", 0) == 0) << m.source;
  EXPECT_EQ(memoryLimit("").source, m.source);
}

TEST(MemoryBudgetTest, FormatsBytes) {
  EXPECT_EQ(formatBytes(96), "96 B");
  EXPECT_EQ(formatBytes(1536), "1.5 KiB");
  EXPECT_EQ(formatBytes(int64_t{4} << 30), "4.0 GiB");
  EXPECT_EQ(formatBytes(INT64_MAX), "more than 8 EiB");
}

std::string refusal(const MemoryEstimate& e, int64_t limit) {
  try {
    checkMemoryBudget(e, {limit, "--mem-limit"}, "training", "quad.pbtxt");
  } catch (const IoError& err) {
    EXPECT_EQ(err.exitCode(), ExitCode::Resource);
    return err.what();
  }
  return "";
}

TEST(MemoryBudgetTest, RefusalNamesTotalLargestAndWhatToChange) {
  auto p = quad();
  const MemoryEstimate e = estimateMemory(*p, 1000, true, 1);
  EXPECT_EQ(refusal(e, e.total()), "");  // exactly at the limit passes
  EXPECT_EQ(refusal(e, -1), "");         // unknown limit: no check
  // Activations dominate: lower the batch, with a size that fits.
  std::string m = refusal(e, e.total() / 2);
  EXPECT_NE(m.find("training at batch 1000 needs an estimated " + formatBytes(e.total())),
            std::string::npos) << m;
  EXPECT_NE(m.find("of --mem-limit; largest: '"), std::string::npos) << m;
  EXPECT_NE(m.find("'conv' " + formatBytes(1000 * 256 * 4)), std::string::npos) << m;
  EXPECT_NE(m.find("lower --batch (at most about "), std::string::npos) << m;
  EXPECT_NE(m.find("or raise --mem-limit"), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  // A param dominates: make it smaller; the location is its line.
  auto big = quad(1 << 20);
  const MemoryEstimate b = estimateMemory(*big, 2, true, 1);
  m = refusal(b, b.total() / 2);
  EXPECT_NE(m.find("quad.pbtxt:7:"), std::string::npos) << m;
  EXPECT_NE(m.find("largest: param 'fc.w' 256.0 MiB"), std::string::npos) << m;
  EXPECT_NE(m.find("make param 'fc.w' smaller"), std::string::npos) << m;
  MemoryEstimate machine = b;
  try {
    checkMemoryBudget(machine, {1024, "MemAvailable"}, "evaluation", "quad.pbtxt");
    ADD_FAILURE();
  } catch (const IoError& err) {
    EXPECT_NE(std::string(err.what()).find("more than the 1.0 KiB available (MemAvailable)"),
              std::string::npos) << err.what();
    EXPECT_NE(std::string(err.what()).find("or set --mem-limit"), std::string::npos);
  }
}

}  // namespace
}  // namespace tapeflow
