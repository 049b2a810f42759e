// tests/train/data/batcher_test.cpp - data sources and the batcher: named
// fields, the image transforms, determinism, slices of a batch, drop_last
// and the background preparation.
#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <vector>

#include "core/error.h"
#include "train/data/batcher.h"

namespace tapeflow {
namespace {

// n images [1,2,3] with pixel values 10*sample + position, labels = sample.
std::shared_ptr<const DataSource> images(int n) {
  InMemoryTensor img, lab;
  img.spec = {"image", DType::F32, {1, 2, 3}, true};
  lab.spec = {"label", DType::I32, {}, false};
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < 6; ++k) img.f32.push_back(float(10 * i + k));
    lab.i32.push_back(i);
  }
  return std::make_shared<InMemorySource>(std::vector<InMemoryTensor>{img, lab});
}

TEST(InMemorySourceTest, RejectsMismatchedTensors) {
  InMemoryTensor a, b;
  a.spec = {"a", DType::F32, {2}, false};
  a.f32 = {1, 2, 3, 4};
  b.spec = {"b", DType::I32, {}, false};
  b.i32 = {1, 2, 3};
  EXPECT_THROW(InMemorySource({a, b}), UsageError);  // 2 vs 3 samples
  b.i32 = {1, 2};
  InMemorySource ok({a, b});
  EXPECT_EQ(ok.size(), 2);
  EXPECT_EQ(ok.describeFields(), "a [2] f32, b [] i32");
  a.f32.push_back(5);
  EXPECT_THROW(InMemorySource({a, b}), UsageError);  // 5 values of [2]
  b.spec.name = "a";
  a.f32.pop_back();
  EXPECT_THROW(InMemorySource({a, b}), UsageError);  // duplicate name
}

TEST(BatcherTest, PadsAndNormalisesImageFieldsOnly) {
  TransformConfig t;
  t.padTo = 4;  // 2x3 -> 4x4, centred: one row above, no column left
  Batcher b(images(3), t, 2, 1, false);
  ASSERT_EQ(b.fields()[0].dims, (Dims{1, 4, 4}));
  Batch batch;
  b.fill(0, 1, &batch);
  ASSERT_EQ(batch.size, 1);  // the short last batch
  const BatchTensor* img = batch.find("image");
  ASSERT_NE(img, nullptr);
  ASSERT_EQ(img->f32.size(), 16u);
  EXPECT_EQ(img->f32[0], 0.f);
  EXPECT_FLOAT_EQ(img->f32[4 + 0], 20.f / 255.f);  // sample 2, pixel (0,0)
  EXPECT_FLOAT_EQ(img->f32[8 + 2], 25.f / 255.f);  // pixel (1,2)
  EXPECT_EQ(img->f32[3], 0.f);
  EXPECT_EQ(batch.find("label")->i32, (std::vector<int32_t>{2}));
  // normalizeIntensities is the same map.
  float x = 25.f;
  normalizeIntensities(&x, 1, t);
  EXPECT_EQ(x, img->f32[8 + 2]);
}

TEST(BatcherTest, SlicesAreSlicesOfTheWholeBatch) {
  TransformConfig t;
  t.padTo = 5;
  t.randomShift = 1;
  t.shuffle = true;
  Batcher b(images(11), t, 6, 7, true);
  EXPECT_EQ(b.batchesPerEpoch(), 1);  // drop_last: 11 = 6 + 5 dropped
  Batch whole, part;
  b.fill(3, 0, &whole);
  b.fill(3, 0, &part, 2, 3);
  ASSERT_EQ(part.size, 3);
  const size_t plane = 25;
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(part.fields[1].i32[k], whole.fields[1].i32[2 + k]);
    for (size_t i = 0; i < plane; ++i)
      EXPECT_EQ(part.fields[0].f32[k * plane + i], whole.fields[0].f32[(2 + k) * plane + i]);
  }
  // Pure function of (seed, epoch, index); another epoch is another order.
  Batch again, other;
  b.fill(3, 0, &again);
  b.fill(4, 0, &other);
  EXPECT_EQ(again.fields[0].f32, whole.fields[0].f32);
  EXPECT_NE(other.fields[1].i32, whole.fields[1].i32);
}

TEST(BatcherTest, BackgroundBatchesEqualFilledOnesAndCoverTheEpoch) {
  TransformConfig t;
  t.shuffle = true;
  Batcher b(images(10), t, 4, 3, false);
  EXPECT_EQ(b.batchesPerEpoch(), 3);
  b.start(2, 1);
  Batch got, want;
  std::vector<int32_t> labels;
  for (int64_t i = 1; i < 3; ++i) {
    ASSERT_TRUE(b.next(&got));
    b.fill(2, i, &want);
    EXPECT_EQ(got.index, i);
    EXPECT_EQ(got.fields[0].f32, want.fields[0].f32);
    labels.insert(labels.end(), got.fields[1].i32.begin(), got.fields[1].i32.end());
  }
  EXPECT_FALSE(b.next(&got));
  b.fill(2, 0, &want);
  labels.insert(labels.end(), want.fields[1].i32.begin(), want.fields[1].i32.end());
  std::sort(labels.begin(), labels.end());
  std::vector<int32_t> all(10);
  std::iota(all.begin(), all.end(), 0);
  EXPECT_EQ(labels, all);  // every sample once
}

TEST(BatcherTest, DropLastNeedsOneFullBatch) {
  EXPECT_THROW(Batcher(images(3), TransformConfig{}, 4, 1, true), UsageError);
  EXPECT_THROW(Batcher(images(3), TransformConfig{}, 0, 1, false), UsageError);
  Batcher b(images(3), TransformConfig{}, 4, 1, false);
  EXPECT_EQ(b.batchesPerEpoch(), 1);
  EXPECT_EQ(b.batchSize(0), 3);
}

}  // namespace
}  // namespace tapeflow
