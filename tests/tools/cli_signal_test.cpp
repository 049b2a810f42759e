// tests/tools/cli_signal_test.cpp - signals and closed outputs during
// `tapeflow train`: a closed output pipe or a closed stdout only stops the
// printing; SIGTERM and SIGHUP finish the step, checkpoint and exit 130;
// a second signal stops at once with exit 5, leaving the latest checkpoint
// whole. Runs the built binary in a scratch directory holding a tiny
// MNIST-style set.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "tests/support/text_files.h"
#include "tests/support/scratch_dir.h"
#include "tests/support/tiny_mnist.h"
#include "train/checkpoint.h"
#include "tests/support/tree_paths.h"

extern char** environ;

namespace tapeflow {
namespace {

namespace fs = std::filesystem;
using testing::readAll;
using Clock = std::chrono::steady_clock;

// Polls `done` every 10 ms for up to two minutes (a generous bound for
// a loaded machine and sanitizers; nothing here measures time).
template <class F>
bool eventually(F done) {
  const auto end = Clock::now() + std::chrono::minutes(2);
  while (!done()) {
    if (Clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

class CliSignalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::writeQuadrantData(root() / "data");
    std::ofstream(root() / "quad.pbtxt") << testing::quadrantModel();
  }
  void TearDown() override {
    if (pid_ > 0) {  // a failed test left it running
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  fs::path root() const { return dir_.path(); }

  // Starts `sh -c "cd ROOT && exec tapeflow train ARGS 2>stderr REDIRECTIONS"`:
  // the shell execs, so the child's pid is tapeflow's.
  // `shellPrefix` runs first (e.g. `trap '' HUP;`, as nohup does).
  void start(const std::string& args, const std::string& redirections = "> stdout",
             const std::string& shellPrefix = "") {
    const std::string cmd = shellPrefix + "cd " + root().string() + " && exec " +
                            tapeflow::paths::cliPath() + " train " + args + " 2> stderr " +
                            redirections;
    fs::remove(root() / "stdout");  // firstLinePrinted() waits for the new one
    const char* argv[] = {"sh", "-c", cmd.c_str(), nullptr};
    ASSERT_EQ(::posix_spawn(&pid_, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv),
                            environ),
              0);
  }
  // A new run in ROOT/r.
  void startNew(const std::string& flags, const std::string& redirections = "> stdout",
                const std::string& shellPrefix = "") {
    start("--model quad.pbtxt --data data --pad-to 0 --batch 32 --threads 1 --out r " + flags,
          redirections, shellPrefix);
  }
  bool firstLinePrinted() const {
    return readAll(root() / "stdout").find('\n') != std::string::npos;
  }
  // The exit code, or 128 + the signal that killed it; -1 after two minutes.
  int wait() {
    int status = 0;
    if (!eventually([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; })) return -1;
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  std::string err() const { return readAll(root() / "stderr"); }
  // The step of the run's newest valid checkpoint (read in full, CRCs
  // checked); no temporary file may be left next to it.
  int64_t latestStep() const {
    for (const auto& e : fs::directory_iterator(root() / "r"))
      EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
    CheckpointDir dir((root() / "r").string(), 0);
    return readCheckpoint(dir.latest()).step;
  }

  testing::ScratchDir dir_{"cli_signal"};
  pid_t pid_ = -1;
};

TEST_F(CliSignalTest, AClosedOutputPipeOnlyStopsThePrinting) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);  // nobody reads: every write fails with EPIPE (or SIGPIPE)
  startNew("--epochs 2 --log-every 1", "1>&" + std::to_string(fds[1]));
  ::close(fds[1]);
  EXPECT_EQ(wait(), 0) << err();
  EXPECT_EQ(latestStep(), 12);  // 2 epochs of 6 full batches
  EXPECT_TRUE(fs::exists(root() / "r/best.tfck"));
}

TEST_F(CliSignalTest, TrainPipedIntoHeadCompletes) {
  const std::string cmd = std::string("cd ") + root().string() + " && set -o pipefail && " +
                          tapeflow::paths::cliPath() +
                          " train --model quad.pbtxt --data data --pad-to 0 --batch 32 "
                          "--threads 1 --out r --epochs 2 --log-every 1 2>stderr | head -1";
  std::string out;
  FILE* p = ::popen(("bash -c '" + cmd + "'").c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  int status = ::pclose(p);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << err();
  EXPECT_EQ(out.find('\n'), out.size() - 1) << out;  // one line
  EXPECT_EQ(latestStep(), 12);
}

TEST_F(CliSignalTest, AClosedStdoutIsNotReusedForTheRunsFiles) {
  startNew("--epochs 1 --log-every 1", ">&-");
  EXPECT_EQ(wait(), 0) << err();
  EXPECT_EQ(latestStep(), 6);
  for (const auto& e : fs::directory_iterator(root() / "r"))
    EXPECT_EQ(readAll(e.path()).find("training quad.pbtxt"), std::string::npos) << e.path();
}

// SIGTERM (G03) and SIGHUP (a dropped SSH session) act like Ctrl-C (G01).
TEST_F(CliSignalTest, SigtermAndSighupFinishTheStepCheckpointAndExit130) {
  for (int sig : {SIGTERM, SIGHUP}) {
    SCOPED_TRACE(sig);
    fs::remove_all(root() / "r");
    startNew("--epochs 100000");
    // The first line is printed after the handlers are installed.
    ASSERT_TRUE(eventually([&] { return firstLinePrinted(); }));
    ASSERT_EQ(::kill(pid_, sig), 0);
    EXPECT_EQ(wait(), 130) << err();
    EXPECT_NE(err().find("stopping after this step"), std::string::npos) << err();
    EXPECT_GT(latestStep(), 0);
    EXPECT_NE(readAll(root() / "stdout").find("interrupted: resume with --resume r"),
              std::string::npos);
  }
}

// `nohup tapeflow train ...`: a signal ignored when the process started
// stays ignored (the signals are taken by a thread of tapeflow's, which
// must not turn an ignored SIGHUP into a stop).
TEST_F(CliSignalTest, ASighupIgnoredAtStartStaysIgnored) {
  startNew("--epochs 100000 --checkpoint-every 1 --keep 1000", "> stdout", "trap '' HUP; ");
  // Checkpoints written so far (the run holds its directory's lock, so
  // they are counted, not opened).
  auto checkpoints = [&] {
    int n = 0;
    for (const auto& e : fs::directory_iterator(root() / "r"))
      n += e.path().extension() == ".tfck";
    return n;
  };
  ASSERT_TRUE(eventually([&] { return fs::exists(root() / "r/latest"); }));
  ASSERT_EQ(::kill(pid_, SIGHUP), 0);
  const int after = checkpoints();
  // Still training well after the SIGHUP: three more checkpoints.
  ASSERT_TRUE(eventually([&] {
    int status = 0;
    return ::waitpid(pid_, &status, WNOHANG) != 0 || checkpoints() >= after + 3;
  }));
  EXPECT_GE(checkpoints(), after + 3) << err();
  EXPECT_EQ(err().find("stopping after this step"), std::string::npos) << err();
  ASSERT_EQ(::kill(pid_, SIGTERM), 0);
  EXPECT_EQ(wait(), 130) << err();
}

// G02: the process is stopped so that both signals are pending together
// and the second one certainly arrives before the step ends.
TEST_F(CliSignalTest, ASecondSignalStopsAtOnceWithExit5AndAWholeCheckpoint) {
  startNew("--epochs 100000 --checkpoint-every 1 --keep 3");
  ASSERT_TRUE(eventually([&] { return fs::exists(root() / "r/latest"); }));
  ASSERT_EQ(::kill(pid_, SIGSTOP), 0);
  ASSERT_EQ(::kill(pid_, SIGINT), 0);
  ASSERT_EQ(::kill(pid_, SIGTERM), 0);  // two SIGINTs would merge while stopped
  ASSERT_EQ(::kill(pid_, SIGCONT), 0);
  EXPECT_EQ(wait(), 5) << err();
  EXPECT_NE(err().find("stopped at once (exit 5)"), std::string::npos) << err();
  EXPECT_NE(err().find("--resume r"), std::string::npos) << err();
  const int64_t step = latestStep();
  EXPECT_GT(step, 0);
  // The run resumes from it (and is stopped again, cleanly).
  start("--model quad.pbtxt --resume r");
  ASSERT_TRUE(eventually([&] { return firstLinePrinted(); }));
  ASSERT_EQ(::kill(pid_, SIGINT), 0);
  EXPECT_EQ(wait(), 130) << err();
  EXPECT_GT(latestStep(), step);
}

}  // namespace
}  // namespace tapeflow
