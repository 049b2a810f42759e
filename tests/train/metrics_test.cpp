// tests/train/metrics_test.cpp - metrics.jsonl records (format, null for
// non-finite values, flushing, torn lines, resume truncation, reading back)
// and the learning-curve SVG (well-formed, data drawn, empty inputs).
#include "train/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "tests/support/scratch_dir.h"

namespace tapeflow {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class MetricsTest : public ::testing::Test {
 protected:
  static std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  static void spit(const std::string& path, const std::string& text) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << text;
  }
  std::vector<std::string> dirEntries() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) {
      names.push_back(e.path().filename().string());
    }
    return names;
  }
  testing::ScratchDir scratch_{"metrics_test"};
  const std::string dir_ = scratch_.path();
};

MetricPoint trainPoint(int64_t step) {
  MetricPoint p;
  p.step = step;
  p.epoch = step / 80.0;
  p.loss = 0.31;
  p.accuracy = 0.91;
  p.lr = 0.01;
  p.imagesPerSecond = 1200.5;
  p.wallTime = 12.3;
  return p;
}

/// Counts the keys of a flat JSON object line: each key is a string
/// followed by ':' (values here never contain quotes).
int countKeys(const std::string& line) {
  int keys = 0;
  for (size_t i = 0; i + 1 < line.size(); ++i) {
    if (line[i] == '"' && line[i + 1] == ':') ++keys;
  }
  return keys;
}

// ---- records ---------------------------------------------------------------

TEST_F(MetricsTest, TrainRecordHasEveryKey) {
  MetricPoint p = trainPoint(100);
  p.epoch = 1.25;
  std::string line = trainRecordJson(p);
  EXPECT_EQ(line,
            "{\"kind\":\"train\",\"step\":100,\"epoch\":1.25,\"loss\":0.31,"
            "\"accuracy\":0.91,\"lr\":0.01,\"images_per_sec\":1200.5,"
            "\"wall_time\":12.3}");
  EXPECT_EQ(countKeys(line), 8);
}

TEST_F(MetricsTest, EvalRecordHasTestValues) {
  MetricPoint p;
  p.step = 469;
  p.epoch = 1;
  p.wallTime = 15.25;
  std::string line = evalRecordJson(p, 0.97, 0.09);
  EXPECT_EQ(line,
            "{\"kind\":\"eval\",\"step\":469,\"epoch\":1,\"wall_time\":15.25,"
            "\"test_accuracy\":0.97,\"test_loss\":0.09}");
  EXPECT_EQ(countKeys(line), 6);
}

TEST_F(MetricsTest, NonFiniteValuesAreNull) {
  MetricPoint p = trainPoint(5);
  p.loss = NAN;
  p.accuracy = INFINITY;
  p.lr = -INFINITY;
  std::string line = trainRecordJson(p);
  EXPECT_THAT(line, HasSubstr("\"loss\":null,\"accuracy\":null,\"lr\":null"));
  EXPECT_THAT(line, Not(HasSubstr("nan")));
  EXPECT_THAT(line, Not(HasSubstr("inf")));
  EXPECT_THAT(evalRecordJson(MetricPoint{}, NAN, 1e-30),
              HasSubstr("\"epoch\":null,\"wall_time\":null,"
                        "\"test_accuracy\":null,\"test_loss\":1e-30}"));
}

TEST_F(MetricsTest, NumbersRoundTripAsFloats) {
  const float values[] = {0.1f, 1.0f / 3.0f, 2.3025851f, 1e-7f, 123456.78f,
                          0.99999994f};
  std::string path = dir_ + "/m.jsonl";
  {
    MetricsLog log(path);
    for (size_t i = 0; i < std::size(values); ++i) {
      MetricPoint p = trainPoint(static_cast<int64_t>(i));
      p.loss = values[i];
      log.logTrain(p);
    }
  }
  MetricsHistory h = readMetrics(path);
  ASSERT_EQ(h.train.size(), std::size(values));
  for (size_t i = 0; i < std::size(values); ++i) {
    EXPECT_EQ(static_cast<float>(h.train[i].loss), values[i]) << i;
  }
}

// ---- the log file ----------------------------------------------------------

TEST_F(MetricsTest, AppendsFlushedLinesAndReadsThemBack) {
  std::string path = dir_ + "/runs/lenet/metrics.jsonl";  // dirs created
  MetricsLog log(path);
  log.logTrain(trainPoint(100));
  // Visible in the file at once, without closing or syncing.
  EXPECT_EQ(slurp(path), trainRecordJson(trainPoint(100)) + "\n");
  MetricPoint e;
  e.step = 160;
  e.epoch = 2;
  e.wallTime = 20;
  log.logEval(e, 0.97, 0.09);
  log.logTrain(trainPoint(200));
  log.sync();

  std::string text = slurp(path);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
  EXPECT_THAT(text, HasSubstr("\"step\":100,"));
  MetricsHistory h = readMetrics(path);
  ASSERT_EQ(h.train.size(), 2u);
  ASSERT_EQ(h.eval.size(), 1u);
  EXPECT_EQ(h.train[0].step, 100);
  EXPECT_DOUBLE_EQ(h.train[0].epoch, 1.25);
  EXPECT_DOUBLE_EQ(h.train[0].loss, 0.31);
  EXPECT_DOUBLE_EQ(h.train[0].accuracy, 0.91);
  EXPECT_DOUBLE_EQ(h.train[0].lr, 0.01);
  EXPECT_DOUBLE_EQ(h.train[0].imagesPerSecond, 1200.5);
  EXPECT_DOUBLE_EQ(h.train[0].wallTime, 12.3);
  EXPECT_EQ(h.train[1].step, 200);
  EXPECT_EQ(h.eval[0].step, 160);
  EXPECT_DOUBLE_EQ(h.eval[0].accuracy, 0.97);
  EXPECT_DOUBLE_EQ(h.eval[0].loss, 0.09);
  EXPECT_DOUBLE_EQ(h.eval[0].wallTime, 20);
}

TEST_F(MetricsTest, EvalRecordsWithoutWallTimeGetOne) {
  std::string path = dir_ + "/wall.jsonl";
  MetricsLog log(path);
  MetricPoint e;  // wallTime NaN, as an evaluation before any train record
  e.step = 0;
  log.logEval(e, 0.1, 2.3);
  log.logTrain(trainPoint(100));  // wall time 12.3
  e.step = 100;
  log.logEval(e, 0.9, 0.3);
  MetricsHistory h = readMetrics(path);
  ASSERT_EQ(h.eval.size(), 2u);
  EXPECT_TRUE(std::isfinite(h.eval[0].wallTime));
  EXPECT_GE(h.eval[0].wallTime, 0);
  EXPECT_GE(h.eval[1].wallTime, 12.3);  // on the train records' clock
  EXPECT_LT(h.eval[1].wallTime, 12.3 + 60);
  EXPECT_THAT(slurp(path), ::testing::Not(HasSubstr("\"wall_time\":null")));
}

TEST_F(MetricsTest, ReopeningAppendsAndDropsATornLine) {
  std::string path = dir_ + "/m.jsonl";
  std::string good = trainRecordJson(trainPoint(1)) + "\n";
  spit(path, good + "{\"kind\":\"train\",\"st");  // crash mid-write
  EXPECT_EQ(readMetrics(path).train.size(), 1u);  // torn line ignored
  {
    MetricsLog log(path);
    log.logTrain(trainPoint(2));
  }
  EXPECT_EQ(slurp(path), good + trainRecordJson(trainPoint(2)) + "\n");
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST_F(MetricsTest, ResumeDropsRecordsAfterTheCheckpointStep) {
  std::string path = dir_ + "/m.jsonl";
  {
    MetricsLog log(path);
    for (int64_t s : {100, 200, 300, 400}) log.logTrain(trainPoint(s));
    MetricPoint e;
    e.step = 300;
    log.logEval(e, 0.9, 0.3);
  }
  {
    MetricsLog log(path, /*keepUpToStep=*/300);  // lost steps 301..400
    log.logTrain(trainPoint(400));
  }
  MetricsHistory h = readMetrics(path);
  ASSERT_EQ(h.train.size(), 4u);
  EXPECT_EQ(h.train[2].step, 300);
  EXPECT_EQ(h.train[3].step, 400);
  ASSERT_EQ(h.eval.size(), 1u);
  EXPECT_EQ(dirEntries(), std::vector<std::string>{"m.jsonl"});  // no tmp
}

TEST_F(MetricsTest, ReadRejectsMalformedLinesWithLocation) {
  std::string path = dir_ + "/m.jsonl";
  spit(path, trainRecordJson(trainPoint(1)) + "\n" +
                 "{\"kind\":\"train\",\"step\":2,\"loss\":x}\n");
  try {
    readMetrics(path);
    ADD_FAILURE() << "no exception";
  } catch (const DataError& e) {
    EXPECT_THAT(e.what(), StartsWith(path + ":2:33: error: "));
    EXPECT_THAT(e.what(), HasSubstr("expected a value, found 'x'"));
  }
  spit(path, "{\"kind\":\"eval\"}\n");
  EXPECT_THROW(readMetrics(path), DataError);
  spit(path, "{\"kind\":\"train\",\"step\":1} trailing\n");
  EXPECT_THROW(readMetrics(path), DataError);
  spit(path, "{\"kind\":\"future\",\"step\":1,\"x\":[1]}\n");
  EXPECT_THROW(readMetrics(path), DataError);  // arrays are not ours
  spit(path, "\n{\"kind\":\"other\",\"step\":1,\"ok\":true}\n");
  MetricsHistory h = readMetrics(path);  // unknown kinds are skipped
  EXPECT_TRUE(h.train.empty() && h.eval.empty());
  EXPECT_TRUE(readMetrics(dir_ + "/missing.jsonl").train.empty());
}

TEST_F(MetricsTest, UnwritableLocationIsIoError) {
  std::string file = dir_ + "/plain";
  spit(file, "x");
  EXPECT_THROW(MetricsLog(file + "/m.jsonl"), IoError);
}

// ---- the SVG ---------------------------------------------------------------

/// Checks that every tag is closed in order; returns the first problem.
std::string tagProblem(const std::string& svg) {
  std::vector<std::string> stack;
  size_t pos = 0;
  while ((pos = svg.find('<', pos)) != std::string::npos) {
    size_t end = svg.find('>', pos);
    if (end == std::string::npos) return "unterminated tag";
    std::string tag = svg.substr(pos + 1, end - pos - 1);
    pos = end + 1;
    if (tag.empty()) return "empty tag";
    if (std::count(tag.begin(), tag.end(), '"') % 2 != 0) {
      return "unbalanced quotes in <" + tag + ">";
    }
    if (tag.back() == '/') continue;  // self-closing
    std::string name = tag.substr(tag[0] == '/' ? 1 : 0);
    name = name.substr(0, name.find_first_of(" \n\t"));
    if (tag[0] != '/') {
      stack.push_back(name);
    } else if (stack.empty() || stack.back() != name) {
      return "unexpected </" + name + ">";
    } else {
      stack.pop_back();
    }
  }
  return stack.empty() ? "" : "unclosed <" + stack.back() + ">";
}

std::vector<std::string> polylines(const std::string& svg) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = svg.find("<polyline", pos)) != std::string::npos) {
    size_t a = svg.find("points=\"", pos) + 8;
    size_t b = svg.find('"', a);
    out.push_back(svg.substr(a, b - a));
    pos = b;
  }
  return out;
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) {
    ++n;
  }
  return n;
}

std::vector<MetricPoint> trainCurve(int n) {
  std::vector<MetricPoint> v;
  for (int i = 1; i <= n; ++i) {
    MetricPoint p = trainPoint(i * 50);
    p.loss = 2.3 / (1 + 0.2 * i);
    p.accuracy = 1 - 0.9 / (1 + 0.3 * i);
    v.push_back(p);
  }
  return v;
}

std::vector<MetricPoint> evalCurve(int n) {
  std::vector<MetricPoint> v;
  for (int i = 1; i <= n; ++i) {
    MetricPoint p;
    p.step = i * 469;
    p.loss = 0.5 / i;
    p.accuracy = 0.95 + 0.01 * i;
    v.push_back(p);
  }
  return v;
}

TEST_F(MetricsTest, SvgIsWellFormedAndDrawsTheData) {
  std::string svg = curvesSvg(trainCurve(40), evalCurve(4), "lenet5 <mnist>");
  EXPECT_THAT(svg, StartsWith("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_EQ(tagProblem(svg), "");
  EXPECT_THAT(svg, HasSubstr("lenet5 &lt;mnist&gt;"));
  EXPECT_THAT(svg, Not(HasSubstr("<script")));
  EXPECT_THAT(svg, Not(HasSubstr("url(http")));
  // Loss and accuracy: one training line of 40 points and one test line of
  // 4 points each, test points also as markers (plus one per legend).
  std::vector<std::string> lines = polylines(svg);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(count(lines[0], ","), 40u);
  EXPECT_EQ(count(lines[1], ","), 4u);
  EXPECT_EQ(count(lines[2], ","), 40u);
  EXPECT_EQ(count(lines[3], ","), 4u);
  EXPECT_EQ(count(svg, "<circle"), 2u * 4u + 2u);
  for (const char* label :
       {">loss<", ">accuracy<", ">step<", "test accuracy",
        "train (running loss)", "best test accuracy 0.9900 at step 1876"}) {
    EXPECT_THAT(svg, HasSubstr(label));
  }
  // Steps 0..2000 on the x axis: ticks at nice values.
  EXPECT_THAT(svg, HasSubstr(">1000<"));
  // The loss line falls: its last point is lower on screen (larger y).
  std::string first = lines[0].substr(lines[0].find(',') + 1);
  std::string last = lines[0].substr(lines[0].rfind(',') + 1);
  EXPECT_LT(std::stod(first), std::stod(last));
}

TEST_F(MetricsTest, SvgHasAnEpochAxisAndEndsAtTheLastStep) {
  std::vector<MetricPoint> train;
  for (int step = 100; step <= 1150; step += 50) {  // 469 steps per epoch
    MetricPoint p = trainPoint(step);
    p.epoch = step / 469.0;
    train.push_back(p);
  }
  std::string svg = curvesSvg(train, {});
  EXPECT_EQ(tagProblem(svg), "");
  EXPECT_THAT(svg, HasSubstr(">epoch 1</text>"));
  EXPECT_THAT(svg, HasSubstr(">epoch 2</text>"));
  EXPECT_THAT(svg, Not(HasSubstr(">epoch 3</text>")));  // 1150 < 3 * 469
  // The last point sits on the right edge of the plot (x = 730).
  std::vector<std::string> lines = polylines(svg);
  ASSERT_FALSE(lines.empty());
  EXPECT_THAT(lines[0].substr(lines[0].rfind(' ') + 1), StartsWith("730.0,")) << lines[0];
}

TEST_F(MetricsTest, SvgSplitsLinesAtNonFiniteValues) {
  std::vector<MetricPoint> t = trainCurve(10);
  t[4].loss = NAN;
  t[5].accuracy = INFINITY;
  std::string svg = curvesSvg(t, {});
  EXPECT_EQ(tagProblem(svg), "");
  std::vector<std::string> lines = polylines(svg);
  ASSERT_EQ(lines.size(), 4u);  // 4 + 5 loss points, 5 + 4 accuracy points
  EXPECT_EQ(count(lines[0], ","), 4u);
  EXPECT_EQ(count(lines[1], ","), 5u);
  EXPECT_THAT(svg, Not(HasSubstr("nan")));
}

TEST_F(MetricsTest, SvgHandlesEmptyAndTinyInputs) {
  std::string empty = curvesSvg({}, {});
  EXPECT_THAT(empty, StartsWith("<svg"));
  EXPECT_EQ(tagProblem(empty), "");
  EXPECT_EQ(count(empty, "no data"), 2u);
  EXPECT_EQ(polylines(empty).size(), 0u);

  std::string one = curvesSvg(trainCurve(1), {});  // a single point
  EXPECT_EQ(tagProblem(one), "");
  EXPECT_THAT(one, Not(HasSubstr("nan")));
  EXPECT_EQ(count(one, "<circle"), 2u + 2u);  // one marker per panel + legends

  std::vector<MetricPoint> flat = trainCurve(3);
  for (MetricPoint& p : flat) p.accuracy = 1.0;
  EXPECT_EQ(tagProblem(curvesSvg(flat, evalCurve(1))), "");
}

TEST_F(MetricsTest, SvgUsesALogScaleForLossesFallingFar) {
  std::vector<MetricPoint> t = trainCurve(10);  // loss 1.9 .. 0.77: linear
  EXPECT_THAT(curvesSvg(t, {}), Not(HasSubstr("log scale")));
  t.back().loss = 0.01;  // 190x below the first value
  std::string svg = curvesSvg(t, {});
  EXPECT_EQ(tagProblem(svg), "");
  EXPECT_THAT(svg, HasSubstr(">loss (log scale)<"));
  EXPECT_THAT(svg, HasSubstr(">0.01<"));
  EXPECT_THAT(svg, HasSubstr(">10<"));
  EXPECT_EQ(count(polylines(svg)[0], ","), 10u);
  t.back().loss = 0.0;  // zero has no place on a log axis: linear again
  EXPECT_THAT(curvesSvg(t, {}), Not(HasSubstr("log scale")));
}

TEST_F(MetricsTest, SvgThinsVeryLongSeries) {
  std::string svg = curvesSvg(trainCurve(10000), {});
  std::vector<std::string> lines = polylines(svg);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_LE(count(lines[0], ","), 2001u);
  EXPECT_GE(count(lines[0], ","), 1000u);
  EXPECT_LT(svg.size(), 200000u);
}

TEST_F(MetricsTest, WriteCurvesReplacesTheFileAtomically) {
  std::string path = dir_ + "/curves.svg";
  spit(path, "old");
  writeCurves(path, trainCurve(5), evalCurve(1));
  EXPECT_EQ(slurp(path), curvesSvg(trainCurve(5), evalCurve(1)));
  EXPECT_EQ(dirEntries(), std::vector<std::string>{"curves.svg"});
  EXPECT_THROW(writeCurves(dir_ + "/missing/curves.svg", {}, {}), IoError);
  EXPECT_EQ(dirEntries(), std::vector<std::string>{"curves.svg"});
}

}  // namespace
}  // namespace tapeflow
