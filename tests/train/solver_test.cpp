// tests/train/solver_test.cpp - solver files, flag overrides, help and
// printing (train/solver.h).
#include "train/solver.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "tests/support/tree_paths.h"

namespace tapeflow {
namespace {

// Every field set to a value other than its default.
const char* kFullSolver = R"(# a comment
optimizer: "adamw"
lr: 0.002
momentum: 0.5
nesterov: true
beta1: 0.8
beta2: 0.99
epsilon: 1e-6
weight_decay: 0.0005
clip_norm: 2.5
schedule: "multistep"
gamma: 0.5
step_epochs: 3
milestones: [2, 4.5, 7]
min_lr: 0.0001
warmup_epochs: 0.25
batch_size: 128
epochs: 12
seed: 18446744073709551615
threads: 2
eval_every_steps: 100
log_every_steps: 10
checkpoint_every_steps: 200
keep_checkpoints: 5
data: "data/fashion"
pad_to: 0
normalize: "standard"
mean: 0.5
stddev: 0.25
random_shift: 2
shuffle: false
input_name: "x"
label_name: "y"
)";

TEST(SolverTest, ParsesEveryField) {
  SolverConfig c = parseSolverText(kFullSolver, "full.solver.pbtxt");
  EXPECT_EQ(c.optimizer, "adamw");
  EXPECT_EQ(c.lr, 0.002f);
  EXPECT_EQ(c.momentum, 0.5f);
  EXPECT_TRUE(c.nesterov);
  EXPECT_EQ(c.beta1, 0.8f);
  EXPECT_EQ(c.beta2, 0.99f);
  EXPECT_EQ(c.epsilon, 1e-6f);
  EXPECT_EQ(c.weightDecay, 0.0005f);
  EXPECT_EQ(c.clipNorm, 2.5f);
  EXPECT_EQ(c.schedule, "multistep");
  EXPECT_EQ(c.gamma, 0.5f);
  EXPECT_EQ(c.stepEpochs, 3.f);
  EXPECT_EQ(c.milestones, (std::vector<float>{2.f, 4.5f, 7.f}));
  EXPECT_EQ(c.minLr, 0.0001f);
  EXPECT_EQ(c.warmupEpochs, 0.25f);
  EXPECT_EQ(c.batchSize, 128);
  EXPECT_EQ(c.epochs, 12);
  EXPECT_EQ(c.seed, 18446744073709551615ull);
  EXPECT_EQ(c.threads, 2);
  EXPECT_EQ(c.evalEverySteps, 100);
  EXPECT_EQ(c.logEverySteps, 10);
  EXPECT_EQ(c.checkpointEverySteps, 200);
  EXPECT_EQ(c.keepCheckpoints, 5);
  EXPECT_EQ(c.data, "data/fashion");
  EXPECT_EQ(c.padTo, 0);
  EXPECT_EQ(c.normalize, "standard");
  EXPECT_EQ(c.mean, 0.5f);
  EXPECT_EQ(c.stddev, 0.25f);
  EXPECT_EQ(c.randomShift, 2);
  EXPECT_FALSE(c.shuffle);
  EXPECT_EQ(c.inputName, "x");
  EXPECT_EQ(c.labelName, "y");
}

TEST(SolverTest, MissingFieldsKeepDefaults) {
  SolverConfig c = parseSolverText("# only a comment\nlr: 0.5\n", "s");
  SolverConfig d;
  d.lr = 0.5f;
  EXPECT_EQ(solverToText(c), solverToText(d));
  EXPECT_EQ(c.optimizer, "sgd");
  EXPECT_EQ(c.batchSize, 64);
  EXPECT_EQ(c.padTo, 32);
  EXPECT_TRUE(c.shuffle);
}

struct BadCase {
  const char* text;
  int line, col;
  const char* message;
};

void expectParseError(const BadCase& b) {
  SCOPED_TRACE(b.text);
  try {
    parseSolverText(b.text, "bad.solver.pbtxt");
    ADD_FAILURE() << "no error";
  } catch (const ParseError& e) {
    EXPECT_EQ(e.loc().file, "bad.solver.pbtxt");
    EXPECT_EQ(e.loc().line, b.line) << e.what();
    EXPECT_EQ(e.loc().col, b.col) << e.what();
    EXPECT_NE(e.message().find(b.message), std::string::npos) << e.what();
  }
}

TEST(SolverTest, RejectsValuesOutOfRangeAtTheirField) {
  const BadCase cases[] = {
      {"epochs: 3\n  lr: -0.5", 2, 3, "field 'lr': expected > 0, found -0.5"},
      {"lr: 0", 1, 1, "field 'lr': expected > 0, found 0"},
      {"lr: inf", 1, 1, "field 'lr': expected a finite number, found inf"},
      {"momentum: 1", 1, 1, "field 'momentum': expected in [0, 1), found 1"},
      {"momentum: -0.1", 1, 1, "expected in [0, 1), found -0.1"},
      {"\nbatch_size: 0", 2, 1,
       "field 'batch_size': expected in [1, 1048576], found 0"},
      {"epochs: -3", 1, 1,
       "field 'epochs': expected in [1, 1000000], found -3"},
      {"beta1: 1", 1, 1, "field 'beta1': expected in [0, 1), found 1"},
      {"beta2: -0.5", 1, 1, "field 'beta2': expected in [0, 1), found -0.5"},
      {"epsilon: 0", 1, 1, "field 'epsilon': expected > 0, found 0"},
      {"weight_decay: -1e-4", 1, 1,
       "field 'weight_decay': expected >= 0, found -0.0001"},
      {"clip_norm: -1", 1, 1, "field 'clip_norm': expected >= 0, found -1"},
      {"warmup_epochs: -2", 1, 1,
       "field 'warmup_epochs': expected >= 0, found -2"},
      {"gamma: 0", 1, 1, "field 'gamma': expected > 0, found 0"},
      {"threads: -1", 1, 1, "field 'threads': expected in [0, 1024], found -1"},
      {"keep_checkpoints: 0", 1, 1,
       "field 'keep_checkpoints': expected in [1, 1000], found 0"},
      {"stddev: 0", 1, 1, "field 'stddev': expected > 0, found 0"},
      {"lr: 0.1\nmilestones: [3, 6, 6]", 2, 1,
       "field 'milestones': expected increasing values, found 6 after 6"},
      {"milestones: [-1]", 1, 1, "field 'milestones': expected > 0, found -1"},
      {"data: \"\"", 1, 1, "field 'data': expected a non-empty string"},
      {"lr: 0.1\n\toptimizer: \"sgdd\"", 2, 9,
       "field 'optimizer': unknown value \"sgdd\"; expected one of sgd, "
       "adam, adamw"},
      {"schedule: \"linear\"", 1, 1,
       "unknown value \"linear\"; expected one of constant, step, multistep, "
       "exponential, cosine"},
      {"normalize: \"z\"", 1, 1,
       "field 'normalize': unknown value \"z\"; expected one of unit, "
       "standard"},
  };
  for (const BadCase& b : cases) expectParseError(b);
}

TEST(SolverTest, RejectsSyntaxErrorsWithLineAndColumn) {
  const BadCase cases[] = {
      {"lr: 0.1\nlrr: 0.2", 2, 1, "unknown field 'lrr' (did you mean 'lr'?)"},
      {"batch: 3", 1, 1, "unknown field 'batch'; known fields: optimizer, lr,"},
      {"lr: 0.1\nlr: 0.2", 2, 1, "field 'lr' given twice"},
      {"batch_size: 1.5", 1, 13, "found '1.5'"},
      {"optimizer: sgd", 1, 12, "expected string, found 'sgd'"},
      {"lr: \"fast\"", 1, 5, "found \"fast\""},
      {"epochs: 3\nlr:\n\n", 2, 4, "found end of file"},
      {"lr { }", 1, 4, ""},
  };
  for (const BadCase& b : cases) expectParseError(b);
}

TEST(SolverTest, RejectsNulBytes) {
  std::string text = "lr: 0.1\nxy";
  text[9] = '\0';
  BadCase b{nullptr, 2, 2, "unexpected NUL byte"};
  try {
    parseSolverText(text, "nul.pbtxt");
    ADD_FAILURE() << "no error";
  } catch (const ParseError& e) {
    EXPECT_EQ(e.loc().line, 2);
    EXPECT_EQ(e.loc().col, 2);
    EXPECT_NE(e.message().find(b.message), std::string::npos) << e.what();
  }
}

TEST(SolverTest, LoadReportsMissingFilesAndDirectories) {
  std::string dir = testing::TempDir();
  std::string missing = dir + "/no_such.solver.pbtxt";
  try {
    loadSolverFile(missing);
    ADD_FAILURE() << "no error";
  } catch (const IoError& e) {
    EXPECT_EQ(e.loc().file, missing);
    EXPECT_NE(e.message().find("No such file"), std::string::npos) << e.what();
  }
  EXPECT_THROW(loadSolverFile(dir), IoError);
  std::string path = dir + "/solver_test_big.pbtxt";
  {
    std::ofstream f(path);
    f << std::string(kMaxSolverFileBytes + 1, '#');
  }
  EXPECT_THROW(loadSolverFile(path), ParseError);
  std::remove(path.c_str());
}

TEST(SolverTest, LoadsAFile) {
  std::string path = testing::TempDir() + "/solver_test_full.pbtxt";
  {
    std::ofstream f(path);
    f << kFullSolver << "lr: -1\n";
  }
  try {
    loadSolverFile(path);
    ADD_FAILURE() << "no error";
  } catch (const ParseError& e) {  // "lr" is given twice: line 34
    EXPECT_EQ(e.loc().file, path);
    EXPECT_EQ(e.loc().line, 34) << e.what();
  }
  {
    std::ofstream f(path);
    f << kFullSolver;
  }
  EXPECT_EQ(solverToText(loadSolverFile(path)),
            solverToText(parseSolverText(kFullSolver, "x")));
  std::remove(path.c_str());
}

std::string sourcePath(const std::string& rel) {
  return tapeflow::paths::sourceDir() + "/" + rel;
}

TEST(SolverTest, ShippedSolverFilesParse) {
  SolverConfig k =
      loadSolverFile(sourcePath("models/lenet5_keras.solver.pbtxt"));
  EXPECT_EQ(k.optimizer, "sgd");
  EXPECT_EQ(k.lr, 0.01f);
  EXPECT_EQ(k.momentum, 0.9f);
  EXPECT_EQ(k.batchSize, 64);
  EXPECT_EQ(k.epochs, 10);
  EXPECT_EQ(k.padTo, 32);
  EXPECT_EQ(k.normalize, "unit");
  EXPECT_EQ(k.data, "data/mnist");

  SolverConfig a =
      loadSolverFile(sourcePath("models/lenet5_keras_adam.solver.pbtxt"));
  EXPECT_EQ(a.optimizer, "adam");
  EXPECT_EQ(a.lr, 1e-3f);
  a.optimizer = k.optimizer;
  a.lr = k.lr;
  EXPECT_EQ(solverToText(a), solverToText(k)) << "otherwise the same";

  SolverConfig l = loadSolverFile(sourcePath("models/lenet5.solver.pbtxt"));
  EXPECT_EQ(l.optimizer, "sgd");
  EXPECT_EQ(l.normalize, "standard");
  EXPECT_EQ(l.epochs, 10);
  EXPECT_EQ(l.padTo, 32);
  EXPECT_NE(l.schedule, "constant");
}

TEST(SolverTest, AppliesOverrides) {
  SolverConfig c;
  applyOverride(c, "lr", "0.05");
  applyOverride(c, "epochs", "3");
  applyOverride(c, "batch", "32");
  applyOverride(c, "threads", "2");
  applyOverride(c, "momentum", "0");
  applyOverride(c, "optimizer", "adam");
  applyOverride(c, "schedule", "multistep");
  applyOverride(c, "milestones", "3, 6.5,9");
  applyOverride(c, "weight-decay", "1e-4");
  applyOverride(c, "clip-norm", "5");
  applyOverride(c, "warmup-epochs", "0.5");
  applyOverride(c, "seed", "18446744073709551615");
  applyOverride(c, "data", "/tmp/d");
  applyOverride(c, "eval-every", "100");
  applyOverride(c, "log-every", "7");
  applyOverride(c, "checkpoint-every", "250");
  applyOverride(c, "keep", "1");
  applyOverride(c, "pad-to", "0");
  applyOverride(c, "normalize", "standard");
  applyOverride(c, "random-shift", "2");
  applyOverride(c, "nesterov", "");  // a bare --nesterov
  applyOverride(c, "gamma", "+0.5");
  applyOverride(c, "step-epochs", "2");
  applyOverride(c, "min-lr", "0");
  applyOverride(c, "--shuffle", "0");
  EXPECT_EQ(c.lr, 0.05f);
  EXPECT_EQ(c.epochs, 3);
  EXPECT_EQ(c.batchSize, 32);
  EXPECT_EQ(c.threads, 2);
  EXPECT_EQ(c.momentum, 0.f);
  EXPECT_EQ(c.optimizer, "adam");
  EXPECT_EQ(c.schedule, "multistep");
  EXPECT_EQ(c.milestones, (std::vector<float>{3.f, 6.5f, 9.f}));
  EXPECT_EQ(c.weightDecay, 1e-4f);
  EXPECT_EQ(c.clipNorm, 5.f);
  EXPECT_EQ(c.warmupEpochs, 0.5f);
  EXPECT_EQ(c.seed, 18446744073709551615ull);
  EXPECT_EQ(c.data, "/tmp/d");
  EXPECT_EQ(c.evalEverySteps, 100);
  EXPECT_EQ(c.logEverySteps, 7);
  EXPECT_EQ(c.checkpointEverySteps, 250);
  EXPECT_EQ(c.keepCheckpoints, 1);
  EXPECT_EQ(c.padTo, 0);
  EXPECT_EQ(c.normalize, "standard");
  EXPECT_EQ(c.randomShift, 2);
  EXPECT_TRUE(c.nesterov);
  EXPECT_EQ(c.gamma, 0.5f);
  EXPECT_EQ(c.stepEpochs, 2.f);
  EXPECT_EQ(c.minLr, 0.f);
  EXPECT_FALSE(c.shuffle);
  applyOverride(c, "milestones", "");
  EXPECT_TRUE(c.milestones.empty());
}

TEST(SolverTest, RejectsBadOverridesNamingTheFlag) {
  struct Case {
    const char* flag;
    const char* value;
    const char* message;
  };
  const Case cases[] = {
      {"lr", "-1", "--lr: expected > 0, found -1"},
      {"lr", "abc", "--lr: expected a number, found 'abc'"},
      {"lr", "", "--lr: expected a number, found ''"},
      {"lr", "1e60", "--lr: expected a finite number, found '1e60'"},
      {"lr", "nan", "--lr: expected a finite number"},
      {"lr", "0.1x", "--lr: expected a number, found '0.1x'"},
      {"batch", "0", "--batch: expected in [1, 1048576], found 0"},
      {"batch", "1.5", "--batch: expected an integer, found '1.5'"},
      {"batch", "99999999999999999999",
       "--batch: expected in [1, 1048576], found '99999999999999999999'"},
      {"epochs", "-3", "--epochs: expected in [1, 1000000], found -3"},
      {"seed", "-1", "--seed: expected an integer, found '-1'"},
      {"threads", "100000", "--threads: expected in [0, 1024], found 100000"},
      {"momentum", "1", "--momentum: expected in [0, 1), found 1"},
      {"nesterov", "maybe",
       "--nesterov: expected true or false, found 'maybe'"},
      {"optimizer", "sgdd",
       "--optimizer: unknown value \"sgdd\"; expected one of sgd, adam, adamw"},
      {"milestones", "6,3",
       "--milestones: expected increasing values, found 3 "
       "after 6"},
      {"milestones", "3,,6", "--milestones: expected a number, found ''"},
      {"normalize", "", "--normalize: unknown value \"\"; expected one of"},
      {"input-name", "", "--input-name: expected a non-empty string"},
      {"lrr", "0.1", "unknown flag '--lrr' (did you mean '--lr'?)"},
      {"batch-size", "3",
       "unknown flag '--batch-size' (did you mean '--batch'?)"},
      {"frobnicate", "1", "unknown flag '--frobnicate'"},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(std::string(k.flag) + "=" + k.value);
    SolverConfig c;
    const std::string before = solverToText(c);
    try {
      applyOverride(c, k.flag, k.value);
      ADD_FAILURE() << "no error";
    } catch (const UsageError& e) {
      EXPECT_NE(e.message().find(k.message), std::string::npos) << e.what();
    }
    EXPECT_EQ(solverToText(c), before) << "a rejected override changes nothing";
  }
}

/// Field names declared in solver.proto ("optional float lr = 2;"), read
/// from the schema file itself.
std::vector<std::string> protoFieldNames() {
  std::ifstream f(sourcePath("train/solver.proto"));
  std::vector<std::string> out;
  for (std::string line; std::getline(f, line);) {
    std::istringstream words(line.substr(0, line.find("//")));
    std::string label, type, name, eq;
    if (words >> label >> type >> name >> eq && eq == "=" &&
        (label == "optional" || label == "repeated"))
      out.push_back(name);
  }
  return out;
}

TEST(SolverTest, TextAndHelpCoverEveryProtoField) {
  std::vector<std::string> names = protoFieldNames();
  ASSERT_GE(names.size(), 30u);
  std::string text = solverToText(SolverConfig{});
  std::string help = solverFlagsHelp();
  for (const std::string& n : names) {
    EXPECT_NE(text.find("\n" + n + ": "), std::string::npos) << n;
    EXPECT_NE(help.find("; file: " + n + "\n"), std::string::npos) << n;
  }
}

TEST(SolverTest, HelpShowsFlagsDefaultsAndRanges) {
  std::string help = solverFlagsHelp();
  EXPECT_NE(help.find("--lr 0.01 "), std::string::npos) << help;
  EXPECT_NE(help.find("--batch 64 "), std::string::npos);
  EXPECT_NE(help.find("--optimizer sgd "), std::string::npos);
  EXPECT_NE(help.find("[one of sgd, adam, adamw]"), std::string::npos);
  EXPECT_NE(help.find("--momentum 0.9 "), std::string::npos);
  EXPECT_NE(help.find("[in [0, 1)]"), std::string::npos);
  EXPECT_NE(help.find("--milestones \"\" "), std::string::npos);
  EXPECT_NE(help.find("--weight-decay 0 "), std::string::npos);
  EXPECT_NE(help.find("schedule:\n"), std::string::npos);
  std::istringstream lines(help);
  for (std::string line; std::getline(lines, line);)
    EXPECT_LE(line.size(), 160u) << line;
}

TEST(SolverTest, TextRoundTrips) {
  SolverConfig c = parseSolverText(kFullSolver, "full");
  c.data = "dir with \"quotes\" and \\ and \t tab";
  c.lr = 0.1f + 0.2f;  // not a short decimal
  std::string text = solverToText(c);
  SolverConfig back = parseSolverText(text, "printed");
  EXPECT_EQ(solverToText(back), text);
  EXPECT_EQ(back.data, c.data);
  EXPECT_EQ(back.lr, c.lr);
  EXPECT_EQ(back.milestones, c.milestones);
  EXPECT_EQ(back.seed, c.seed);
}

}  // namespace
}  // namespace tapeflow
