// tests/train/progress_test.cpp - progress output in plain (log) mode and
// in terminal mode (forced), with a fake clock.
#include "train/progress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace tapeflow {
namespace {

using testing::HasSubstr;
using testing::Not;
using testing::StartsWith;

/// A FILE* writing to memory; text() returns everything written so far.
class MemFile {
 public:
  MemFile() : f_(open_memstream(&buf_, &len_)) {}
  ~MemFile() {
    if (f_) std::fclose(f_);
    std::free(buf_);
  }
  FILE* get() const { return f_; }
  std::string text() {
    std::fflush(f_);
    return std::string(buf_, len_);
  }

 private:
  char* buf_ = nullptr;
  size_t len_ = 0;
  FILE* f_;
};

ProgressState state(int64_t step) {
  ProgressState s;
  s.epoch = 2;
  s.epochs = 10;
  s.step = step;
  s.steps = 469;
  s.loss = 0.12344;
  s.accuracy = 0.96212;
  s.lr = 0.01;
  s.imagesPerSecond = 1234.54;
  return s;
}

TEST(ProgressTest, PlainModePrintsOneLinePerUpdate) {
  MemFile f;
  ASSERT_NE(f.get(), nullptr);
  {
    Progress p(f.get());
    EXPECT_FALSE(p.tty());
    p.update(state(300));
    p.tick(state(301));  // nothing in plain mode
    p.update(state(400));
  }
  EXPECT_EQ(f.text(),
            "epoch 2/10 step 300/469 interval loss 0.1234 acc 96.21% lr 0.01 img/s "
            "1234.5\n"
            "epoch 2/10 step 400/469 interval loss 0.1234 acc 96.21% lr 0.01 img/s "
            "1234.5\n");
}

TEST(ProgressTest, PlainModeLeavesOutUnknownValues) {
  ProgressState s;
  s.epoch = 1;
  s.epochs = 3;
  s.step = 7;
  s.loss = 2.5;
  EXPECT_EQ(Progress::plainLine(s), "epoch 1/3 step 7 interval loss 2.5000");
}

TEST(ProgressTest, PlainModeMessagesAndEpochSummaries) {
  MemFile f;
  {
    Progress p(f.get());
    p.message("resumed from step 938");
    EpochSummary e;
    e.epoch = 2;
    e.epochs = 10;
    e.loss = 0.1;
    e.accuracy = 0.97;
    e.testLoss = 0.09;
    e.testAccuracy = 0.9712;
    e.seconds = 12.34;
    p.endEpoch(e);
  }
  std::string t = f.text();
  EXPECT_EQ(t,
            "resumed from step 938\n"
            "epoch 2/10 done: epoch loss 0.1000 acc 97.00% test loss 0.0900 "
            "test acc 97.12% time 12.3s\n");
  EXPECT_THAT(t, Not(HasSubstr("\r")));
}

TEST(ProgressTest, TerminalModeRewritesOneLineAndThrottles) {
  MemFile f;
  double now = 100.0;
  {
    Progress p(f.get(), /*forceTty=*/true);
    EXPECT_TRUE(p.tty());
    p.setClock([&] { return now; });
    p.setWidth(120);
    p.update(state(100));
    std::string first = f.text();
    EXPECT_THAT(first, StartsWith("\repoch 2/10 ["));
    EXPECT_THAT(first, HasSubstr("] 100/469 interval loss 0.1234 acc 96.21% 1235 img/s"));
    EXPECT_THAT(first, Not(HasSubstr("\n")));

    now += 0.05;  // too soon: throttled
    p.tick(state(101));
    EXPECT_EQ(f.text(), first);

    now += 10.0;  // 10 s for 100 steps since the first draw: eta 26.9 s
    p.update(state(200));
    std::string second = f.text().substr(first.size());
    EXPECT_THAT(second, StartsWith("\repoch 2/10 ["));
    EXPECT_THAT(second, HasSubstr("200/469 eta 0:27 interval loss"));

    now += 0.01;  // the last step of an epoch is never throttled
    p.tick(state(469));
    EXPECT_THAT(f.text(), HasSubstr("469/469"));

    p.message("epoch 2/10: test accuracy 97.12%");
    EXPECT_THAT(f.text(),
                testing::EndsWith("\r\033[Kepoch 2/10: test accuracy 97.12%\n"));
    p.update(state(5));  // shown again at once after a message
    EXPECT_THAT(f.text(), HasSubstr("] 5/469"));
  }
  // The destructor clears the bar that was still shown.
  EXPECT_THAT(f.text(), testing::EndsWith("\r\033[K"));
  EXPECT_EQ(f.text().find('\n'), f.text().rfind('\n'));  // only the message
}

TEST(ProgressTest, BarFillsInProportionAndFitsTheWidth) {
  ProgressState s = state(0);
  std::string empty = Progress::barLine(s, -1, 120);
  EXPECT_THAT(empty, HasSubstr("[>" + std::string(29, ' ') + "]"));
  s.step = 469;
  std::string full = Progress::barLine(s, -1, 120);
  EXPECT_THAT(full, HasSubstr("[" + std::string(30, '=') + "]"));
  s.step = 235;  // just over half of 469: 15 of 30
  EXPECT_THAT(Progress::barLine(s, -1, 120),
              HasSubstr("[" + std::string(15, '=') + ">"));
  for (int width : {1, 20, 40, 60, 80}) {
    std::string line = Progress::barLine(s, 3725, width);
    EXPECT_LE(static_cast<int>(line.size()), std::max(width - 1, 1)) << width;
  }
  // Narrow terminals drop the bar before the numbers.
  EXPECT_THAT(Progress::barLine(s, 3725, 60), Not(HasSubstr("[")));
  EXPECT_THAT(Progress::barLine(s, 3725, 100), HasSubstr("eta 1:02:05"));
}

TEST(ProgressTest, EvaluationShowsItsOwnBarNotAFrozenTrainingBar) {
  MemFile f;
  double now = 100.0;
  {
    Progress p(f.get(), /*forceTty=*/true);
    p.setClock([&] { return now; });
    p.setWidth(120);
    p.tick(state(469));  // the end of an epoch's training bar
    const size_t before = f.text().size();
    now += 1.0;
    p.evaluating(2500, 10000);
    std::string eval = f.text().substr(before);
    EXPECT_THAT(eval, StartsWith("\revaluating [" + std::string(7, '=') + ">"));
    EXPECT_THAT(eval, HasSubstr("] 2500/10000 samples"));
    EXPECT_THAT(eval, Not(HasSubstr("469/469")));
    now += 0.01;  // throttled, except the last batch
    p.evaluating(3000, 10000);
    EXPECT_EQ(f.text().size(), before + eval.size());
    p.evaluating(10000, 10000);
    EXPECT_THAT(f.text(), HasSubstr("[" + std::string(30, '=') + "] 10000/10000 samples"));
  }
  MemFile plain;
  {
    Progress p(plain.get());
    p.evaluating(5, 10);  // a log gets the evaluation's result line only
  }
  EXPECT_EQ(plain.text(), "");
  for (int width : {1, 20, 40, 80})
    EXPECT_LE(static_cast<int>(Progress::evalBarLine(3, 7, width).size()), std::max(width - 1, 1));
}

TEST(ProgressTest, EtaFallsBackToEpochSeconds) {
  MemFile f;
  Progress p(f.get(), true);
  p.setClock([] { return 5.0; });
  p.setWidth(120);
  ProgressState s = state(100);
  s.epochSeconds = 20.0;  // 0.2 s per step, 369 steps left
  p.update(s);
  EXPECT_THAT(f.text(), HasSubstr("eta 1:14"));
  p.finish();
  EXPECT_THAT(f.text(), testing::EndsWith("\r\033[K"));
}

// A closed pipe or a hung-up terminal: the first failed write ends the
// printing (no further write is attempted), and nothing throws.
TEST(ProgressTest, AFailedWriteStopsThePrinting) {
  static int calls = 0;
  calls = 0;
  cookie_io_functions_t io{};
  io.write = [](void*, const char*, size_t) -> ssize_t {
    ++calls;
    errno = EPIPE;
    return -1;
  };
  FILE* f = fopencookie(nullptr, "w", io);
  ASSERT_NE(f, nullptr);
  {
    Progress p(f);
    p.update(state(1));
    EXPECT_EQ(calls, 1);
    for (int i = 2; i < 10; ++i) p.update(state(i));
    p.message("x");
    p.endEpoch(EpochSummary{});
    EXPECT_EQ(calls, 1);
  }
  std::fclose(f);
}

TEST(ProgressTest, NullOutputPrintsNothing) {
  Progress p(nullptr, true);
  EXPECT_FALSE(p.tty());
  p.update(state(1));
  p.message("x");
  p.finish();
  SUCCEED();
}

}  // namespace
}  // namespace tapeflow

namespace tapeflow {
namespace {

TEST(ProgressTest, ImagesPerSecondIsAMovingAverage) {
  MemFile f;
  ASSERT_NE(f.get(), nullptr);
  {
    Progress p(f.get());
    ProgressState s;
    s.step = 1;
    s.imagesPerSecond = 1000;
    p.update(s);
    s.imagesPerSecond = 2000;  // one fast interval moves the figure by 30%
    p.update(s);
  }
  EXPECT_EQ(f.text(), "epoch 1/1 step 1 img/s 1000.0\nepoch 1/1 step 1 img/s 1300.0\n");
}

}  // namespace
}  // namespace tapeflow
