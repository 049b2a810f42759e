// tests/core/path_guard_test.cpp - checkOutputsAgainstInputs refuses every
// way an output can reach an input (same path, symlink, hard link, relative
// spelling, a directory that is or holds an input) and accepts the rest.
#include "core/path_guard.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "core/error.h"
#include "tests/support/scratch_dir.h"

namespace tapeflow {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class PathGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_.path("data/mnist"));
    model_ = dir_.write("m.pbtxt", "name: \"m\"\n");
    data_ = dir_.path("data/mnist");
  }

  /// The UsageError message, or "" when accepted.
  static std::string refusal(const IoPath& out, const std::vector<IoPath>& in) {
    try {
      checkOutputsAgainstInputs({out}, in);
    } catch (const UsageError& e) {
      EXPECT_EQ(e.loc().file, out.path);
      EXPECT_EQ(e.exitCode(), ExitCode::BadInput);
      return e.what();
    }
    return "";
  }

  std::vector<IoPath> inputs() const {
    return {{model_, "model", false}, {data_, "data directory", true}};
  }

  testing::ScratchDir dir_{"path_guard"};
  std::string model_, data_;
};

TEST_F(PathGuardTest, RefusesOutputFileThatIsTheInputFile) {  // H03
  std::string msg = refusal({model_, "-o", false}, inputs());
  EXPECT_THAT(msg, HasSubstr("output (-o) is the model '" + model_ + "'"));
  EXPECT_THAT(msg, HasSubstr("outputs never overwrite inputs"));
  // Another spelling of the same path.
  std::string other = dir_.path("data/../m.pbtxt");
  EXPECT_THAT(refusal({other, "-o", false}, inputs()), HasSubstr("is the model"));
}

TEST_F(PathGuardTest, RefusesSymlinkAndHardLinkToAnInput) {
  std::string sym = dir_.path("link.pbtxt"), hard = dir_.path("hard.pbtxt");
  fs::create_symlink(model_, sym);
  fs::create_hard_link(model_, hard);
  EXPECT_THAT(refusal({sym, "-o", false}, inputs()), HasSubstr("is the model"));
  EXPECT_THAT(refusal({hard, "-o", false}, inputs()), HasSubstr("is the model"));
}

TEST_F(PathGuardTest, RefusesOutputDirectoryThatIsOrIsInsideTheDataDirectory) {
  EXPECT_THAT(refusal({data_, "--out", true}, inputs()),
              HasSubstr("output (--out) is the data directory"));
  EXPECT_THAT(refusal({data_ + "/", "--out", true}, inputs()),
              HasSubstr("is the data directory"));
  // Not created yet, inside the data directory.
  EXPECT_THAT(refusal({data_ + "/runs/a", "--out", true}, inputs()),
              HasSubstr("is inside the data directory"));
  // A file written into the data directory.
  EXPECT_THAT(refusal({data_ + "/x.dot", "-o", false}, inputs()),
              HasSubstr("is inside the data directory"));
  // Through a symlink to the data directory.
  std::string sym = dir_.path("datalink");
  fs::create_directory_symlink(data_, sym);
  EXPECT_THAT(refusal({sym + "/run", "--out", true}, inputs()),
              HasSubstr("is inside the data directory"));
}

TEST_F(PathGuardTest, RefusesOutputDirectoryHoldingAnInputFile) {
  EXPECT_THAT(refusal({dir_.path(), "--out", true}, inputs()),
              HasSubstr("is the directory holding the model"));
  EXPECT_THAT(refusal({model_, "--out", true}, inputs()), HasSubstr("is the model"));
}

TEST_F(PathGuardTest, AcceptsSeparateOutputs) {
  EXPECT_EQ(refusal({dir_.path("m.dot"), "-o", false}, inputs()), "");
  EXPECT_EQ(refusal({dir_.path("runs/a"), "--out", true}, inputs()), "");
  EXPECT_EQ(refusal({dir_.path("data/other"), "--out", true}, inputs()), "");
  // A missing input is its reader's business, not an overlap.
  EXPECT_EQ(refusal({dir_.path("x.dot"), "-o", false},
                    {{dir_.path("missing.pbtxt"), "model", false}}),
            "");
  // Nothing was created by the checks.
  EXPECT_FALSE(fs::exists(dir_.path("runs")));
  EXPECT_FALSE(fs::exists(dir_.path("m.dot")));
}

}  // namespace
}  // namespace tapeflow
