// tests/tools/cli_test.cpp - the `tapeflow` command line: help, usage
// errors with suggestions, booleans, solver flags from the solver table,
// --version, graph --out. Runs the built binary (popen) and parses command
// lines in-process for the values the commands receive.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/text_files.h"
#include "tests/support/scratch_dir.h"
#include "tools/cli.h"
#include "train/solver.h"
#include "tests/support/tree_paths.h"

namespace tapeflow {
namespace {

using testing::lines;

struct CliRun {
  int code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

/// Runs `tapeflow ARGS` (ARGS as the shell reads them) from the source dir.
CliRun tapeflow(const std::string& args) {
  testing::ScratchDir dir("cli");
  std::string errFile = dir.path() + "/stderr";
  std::string cmd = std::string("cd ") + tapeflow::paths::sourceDir() + " && " + tapeflow::paths::cliPath() +
                    " " + args + " 2>" + errFile;
  CliRun r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
  int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream e(errFile);
  std::stringstream ss;
  ss << e.rdbuf();
  r.err = ss.str();
  return r;
}

/// Parses `tapeflow ARGS...` in-process and returns what the command gets.
cli::Args parsed(std::vector<std::string> args) {
  CLI::App root("tapeflow");
  root.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  auto commands = cli::declareCommands(root);
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  root.parse(reversed);
  for (const auto& c : commands)
    if (c->app().parsed()) return c->collect();
  ADD_FAILURE() << "no command parsed";
  return {};
}

TEST(CliTest, HelpListsEveryOptionWithDefaultsOnStdout) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> expect = {
      {"summary", {"FILE"}},
      {"check", {"FILE"}},
      {"graph", {"FILE", "--dot", "-o,--out,--output OUT=stdout"}},
      {"gradcheck", {"--batch N=2", "--directions K=3", "--seed S=1", "--step H=0.0003",
                     "--tolerance T=0.02"}},
      {"ops", {}},
      {"train", {"--model", "--solver", "--out", "--resume", "--lr=0.01",
                 "--nesterov,--no-nesterov", "--batch=64"}},
      {"eval", {"--model", "--checkpoint", "--data=data/mnist"}},
      {"predict", {"--model", "--checkpoint", "--top K=3", "--raw,--no-raw", "IMAGE"}},
      {"profile", {"--batch", "--steps N=20", "--warmup N=5", "--inference", "--trace",
                   "--peak-size N=2048"}},
  };
  for (const auto& [cmd, needles] : expect)
    for (const char* h : {"--help", "-h"}) {
      CliRun r = tapeflow(cmd + " " + h);
      EXPECT_EQ(r.code, 0) << cmd << " " << h;
      EXPECT_EQ(r.err, "") << cmd;
      EXPECT_NE(r.out.find("Usage: tapeflow " + cmd), std::string::npos) << r.out;
      for (const std::string& n : needles)
        EXPECT_NE(r.out.find(n), std::string::npos) << cmd << " help lacks " << n;
    }
}

TEST(CliTest, TrainHelpHasEverySolverFieldWithItsDefault) {
  CliRun r = tapeflow("train --help");
  ASSERT_EQ(r.code, 0);
  for (const SolverFlag& f : solverFlags()) {
    std::string head = f.isBool ? "--" + f.name + ",--no-" + f.name
                                : "--" + f.name + "=" + f.defaultText;
    EXPECT_NE(r.out.find(head), std::string::npos) << head;
  }
}

TEST(CliTest, PredictRefusesAPredictionWithoutClasses) {
  for (const char* model : {"mlp_regression", "autoencoder_mnist"}) {
    CliRun r = tapeflow(std::string("predict --model models/") + model +
                        ".pbtxt --checkpoint none.tfck digit.png");
    EXPECT_EQ(r.code, 2) << model;
    EXPECT_EQ(lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("predict ranks classes"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("has none"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  }
}

TEST(CliTest, UnknownOptionIsOneLineWithSuggestion) {
  CliRun r = tapeflow("gradcheck models/lenet5.pbtxt --batchsize 4");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("unknown option '--batchsize'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean '--batch'"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  r = tapeflow("train --model models/lenet5.pbtxt --lrr 0.1");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("did you mean '--lr'"), std::string::npos) << r.err;
}

TEST(CliTest, StrayArgumentIsAnError) {
  CliRun r = tapeflow("train --model models/lenet5.pbtxt models/lenet5.solver.pbtxt");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("unexpected argument 'models/lenet5.solver.pbtxt'"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("did you mean '--solver models/lenet5.solver.pbtxt'"),
            std::string::npos)
      << r.err;
  r = tapeflow("summary models/lenet5.pbtxt models/lenet5_keras.pbtxt");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
}

TEST(CliTest, UnknownCommandSuggests) {
  CliRun r = tapeflow("sumary models/lenet5.pbtxt");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("did you mean 'summary'"), std::string::npos) << r.err;
}

TEST(CliTest, MissingValuesAndPositionalsAreErrors) {
  for (const char* args : {"train --model models/lenet5.pbtxt --lr", "gradcheck",
                           "gradcheck models/lenet5.pbtxt --nesterov"}) {
    CliRun r = tapeflow(args);
    EXPECT_EQ(r.code, 2) << args;
    EXPECT_EQ(lines(r.err), 1) << args << ": " << r.err;
  }
}

TEST(CliTest, BooleansTakeFlagNoFlagAndExplicitValues) {
  EXPECT_EQ(parsed({"train", "--model", "m", "--nesterov"}).get("nesterov"), "true");
  EXPECT_EQ(parsed({"train", "--model", "m", "--no-nesterov"}).get("nesterov"), "false");
  EXPECT_EQ(parsed({"train", "--model", "m", "--nesterov=false"}).get("nesterov"), "false");
  EXPECT_EQ(parsed({"train", "--model", "m", "--nesterov=true"}).get("nesterov"), "true");
  EXPECT_EQ(parsed({"train", "--model", "m", "--no-shuffle"}).get("shuffle"), "false");
  EXPECT_FALSE(parsed({"train", "--model", "m"}).has("nesterov"));
  EXPECT_TRUE(parsed({"profile", "m", "--inference"}).has("inference"));
  EXPECT_FALSE(parsed({"profile", "m", "--inference=false"}).has("inference"));
  // The values reach the solver as the table reads them.
  SolverConfig s;
  s.nesterov = true;
  for (const auto& [k, v] : parsed({"train", "--model", "m", "--nesterov=false"}).flags)
    if (k != "model") applyOverride(s, k, v);
  EXPECT_FALSE(s.nesterov);
  // `--nesterov false` used to turn Nesterov on and drop `false`.
  CliRun r = tapeflow("train --model models/lenet5.pbtxt --nesterov false");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unexpected argument 'false'"), std::string::npos) << r.err;
  r = tapeflow("train --model models/lenet5.pbtxt --nesterov=maybe");
  EXPECT_EQ(r.code, 2);
}

TEST(CliTest, SolverFlagsAndOptionValuesReachTheCommand) {
  cli::Args a = parsed({"train", "--model", "m.pbtxt", "--lr", "0.5", "--mean", "-0.25",
                        "--milestones", "2,4", "--solver", "s.pbtxt", "--lr=0.25"});
  EXPECT_EQ(a.get("model"), "m.pbtxt");
  EXPECT_EQ(a.get("lr"), "0.25");  // the last one wins
  EXPECT_EQ(a.get("mean"), "-0.25");
  EXPECT_EQ(a.get("milestones"), "2,4");
  EXPECT_EQ(a.get("solver"), "s.pbtxt");
  cli::Args g = parsed({"gradcheck", "f.pbtxt", "--batch", "4", "--step=1e-4"});
  ASSERT_EQ(g.positional.size(), 1u);
  EXPECT_EQ(g.positional[0], "f.pbtxt");
  EXPECT_EQ(g.getInt("batch", 0), 4);
  EXPECT_DOUBLE_EQ(g.getFloat("step", 0), 1e-4);
  EXPECT_EQ(parsed({"graph", "f", "-o", "x.dot"}).get("output"), "x.dot");
  EXPECT_EQ(parsed({"graph", "f", "--out", "x.dot"}).get("output"), "x.dot");
}

TEST(CliTest, VersionNamesOneDnnAndTheIsa) {
  CliRun r = tapeflow("--version");
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out.rfind("tapeflow ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("oneDNN 2."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CPU ISA: "), std::string::npos) << r.out;
}

TEST(CliTest, GraphOutWritesTheFile) {
  testing::ScratchDir dir("cli_graph");
  for (const char* flag : {"--out", "-o", "--output"}) {
    std::string path = dir.path() + "/g" + std::string(flag) + ".dot";
    CliRun r = tapeflow(std::string("graph models/lenet5.pbtxt --dot ") + flag + " " + path);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "") << flag;
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    EXPECT_EQ(ss.str().rfind("digraph", 0), 0u) << flag << ": " << ss.str().substr(0, 40);
  }
}

TEST(CliTest, ExistingCommandsStillRun) {
  CliRun r = tapeflow("summary models/lenet5_keras.pbtxt");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Total params: 1,631,080"), std::string::npos);
  r = tapeflow("check models/lenet5.pbtxt");
  EXPECT_EQ(r.code, 0) << r.err;
  r = tapeflow("ops");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("Conv2D"), std::string::npos);
  r = tapeflow("help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("gradcheck"), std::string::npos);
  r = tapeflow("");
  EXPECT_EQ(r.code, 2);
}

}  // namespace
}  // namespace tapeflow
