// tests/tools/cli_io_test.cpp - the built `tapeflow` program on bad paths:
// an output that is an input is refused before anything is written, and a
// missing file is an I/O failure (exit 3) whichever flag names it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/support/scratch_dir.h"
#include "tests/support/tree_paths.h"

namespace tapeflow {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

struct CliRun {
  int exitCode = -1;
  std::string err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class CliIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = dir_.path("m.pbtxt");
    fs::copy_file(tapeflow::paths::sourceDir() + "/models/lenet5_keras.pbtxt",
                  model_);
    original_ = slurp(model_);
  }

  /// Runs `tapeflow <args>` (args already shell-quoted where needed).
  CliRun run(const std::string& args) const {
    std::string errFile = dir_.path("stderr.txt");
    std::string cmd = tapeflow::paths::cliPath() + " " + args +
                      " > /dev/null 2> '" + errFile + "'";
    int status = std::system(cmd.c_str());
    CliRun r;
    if (WIFEXITED(status)) r.exitCode = WEXITSTATUS(status);
    r.err = slurp(errFile);
    return r;
  }

  testing::ScratchDir dir_{"cli_io"};
  std::string model_, original_;
};

TEST_F(CliIoTest, GraphDotRefusesToOverwriteItsModel) {  // H03, I04
  CliRun r = run("graph '" + model_ + "' --dot -o '" + model_ + "'");
  EXPECT_EQ(r.exitCode, 2) << r.err;
  EXPECT_THAT(r.err, StartsWith(model_ + ": error: output (-o) is the model"));
  EXPECT_THAT(r.err, HasSubstr("outputs never overwrite inputs"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(slurp(model_), original_);
}

TEST_F(CliIoTest, GraphDotRefusesASymlinkToItsModel) {  // H03, I04
  std::string link = dir_.path("out.dot");
  fs::create_symlink(model_, link);
  CliRun r = run("graph '" + model_ + "' --dot -o '" + link + "'");
  EXPECT_EQ(r.exitCode, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("output (-o) is the model"));
  EXPECT_EQ(slurp(model_), original_);
}

TEST_F(CliIoTest, GraphDotWritesASeparateFile) {
  std::string out = dir_.path("m.dot");
  CliRun r = run("graph '" + model_ + "' --dot -o '" + out + "'");
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_THAT(slurp(out), StartsWith("digraph"));
  EXPECT_EQ(slurp(model_), original_);
}

TEST_F(CliIoTest, MissingModelAndMissingCheckpointAreBothIoErrors) {  // A01
  std::string missing = dir_.path("none.pbtxt");
  CliRun r = run("check '" + missing + "'");
  EXPECT_EQ(r.exitCode, 3) << r.err;
  EXPECT_THAT(r.err, StartsWith(missing + ": error: cannot open"));

  std::string ckpt = dir_.path("none.tfck");
  r = run("eval --model '" + model_ + "' --checkpoint '" + ckpt + "'");
  EXPECT_EQ(r.exitCode, 3) << r.err;
  EXPECT_THAT(r.err, StartsWith(ckpt + ": error: cannot open checkpoint"));
  EXPECT_THAT(r.err, HasSubstr("No such file"));
}

}  // namespace
}  // namespace tapeflow
