// tests/core/atomic_file_test.cpp - atomic writes (core/atomic_file): the
// new contents after success; after a failure the old file intact, no
// temporary file left, and an IoError naming the path and the system error.
#include "core/atomic_file.h"

#include "core/error.h"
#include "tests/support/scratch_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace tapeflow {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class AtomicFileTest : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  static std::string contents(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_))
      names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  testing::ScratchDir scratch_{"atomic_file_test"};
  const std::string dir_ = scratch_.path();
};

/// Runs fn in a child process and returns the message of the IoError it
/// throws ("" plus a test failure when it throws nothing else or crashes).
std::string ioErrorInChild(const std::function<void()>& fn) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    std::string msg;
    int code = 2;
    try {
      fn();
    } catch (const IoError& e) {
      msg = e.what();
      code = 0;
    } catch (const std::exception& e) {  // never return into the test runner
      msg = e.what();
      code = 1;
    }
    ssize_t w = ::write(fds[1], msg.data(), msg.size());
    ::_exit(w < 0 ? 3 : code);
  }
  ::close(fds[1]);
  std::string msg;
  char buf[4096];
  ssize_t r;
  while ((r = ::read(fds[0], buf, sizeof buf)) > 0)
    msg.append(buf, static_cast<size_t>(r));
  ::close(fds[0]);
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "wait status " << status << ": " << msg;
  return msg;
}

TEST_F(AtomicFileTest, WritesContentsAndLeavesNoTemporary) {
  std::string p = path("a.txt");
  writeFileAtomically(p, "first\n");
  EXPECT_EQ(contents(p), "first\n");
  std::string binary("x\0y", 3);
  writeFileAtomically(p, binary);  // replaces the old file
  EXPECT_EQ(contents(p), binary);
  writeFileAtomically(path("empty"), "");
  EXPECT_TRUE(fs::exists(path("empty")));
  EXPECT_EQ(fs::file_size(path("empty")), 0u);
  EXPECT_EQ(listing(), (std::vector<std::string>{"a.txt", "empty"}));
}

TEST_F(AtomicFileTest, WritesInPiecesAndCreatesTheTemporaryBesideTheFile) {
  std::string p = path("b.bin");
  AtomicFile f(p);
  EXPECT_EQ(f.path(), p);
  EXPECT_EQ(f.tempPath(), p + ".tmp-" + std::to_string(::getpid()));
  EXPECT_TRUE(fs::exists(f.tempPath()));
  EXPECT_FALSE(fs::exists(p)) << "nothing under the final name before commit";
  f.write("abc", 3);
  f.write(std::string_view("def"));
  f.commit();
  EXPECT_EQ(contents(p), "abcdef");
  EXPECT_EQ(listing(), std::vector<std::string>{"b.bin"});
}

TEST_F(AtomicFileTest, UncommittedWriteRemovesTheTemporaryAndKeepsTheOldFile) {
  std::string p = path("c.txt");
  writeFileAtomically(p, "old");
  {
    AtomicFile f(p);
    f.write("new contents");
  }
  EXPECT_EQ(contents(p), "old");
  EXPECT_EQ(listing(), std::vector<std::string>{"c.txt"});
}

TEST_F(AtomicFileTest, ReplacesAStaleTemporaryOfADeadProcessWithOurPid) {
  std::string p = path("d.txt");
  std::ofstream(p + ".tmp-" + std::to_string(::getpid())) << "stale";
  writeFileAtomically(p, "fresh");
  EXPECT_EQ(contents(p), "fresh");
  EXPECT_EQ(listing(), std::vector<std::string>{"d.txt"});
}

TEST_F(AtomicFileTest, MissingDirectoryNamesThePathAndTheSystemError) {
  std::string p = path("no/such/e.txt");
  try {
    writeFileAtomically(p, "x");
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), StartsWith(p +
                                     ": error: cannot create temporary "
                                     "file '" +
                                     p + ".tmp-"));
    EXPECT_THAT(e.what(), HasSubstr(std::strerror(ENOENT)));
    EXPECT_EQ(e.exitCode(), ExitCode::Resource);
  }
  EXPECT_TRUE(listing().empty());
}

TEST_F(AtomicFileTest, FileSizeLimitKeepsTheOldFileAndRemovesTheTemporary) {
  std::string p = path("f.txt");
  writeFileAtomically(p, "old contents\n");
  std::string msg = ioErrorInChild([&] {
    std::signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of the signal
    rlimit lim{4096, 4096};
    ::setrlimit(RLIMIT_FSIZE, &lim);
    writeFileAtomically(p, std::string(100000, 'n'));
  });
  EXPECT_THAT(msg, StartsWith(p + ": error: write failed: "));
  EXPECT_THAT(msg, HasSubstr(std::strerror(EFBIG)));
  EXPECT_THAT(msg, HasSubstr("temporary file removed, previous file "
                             "untouched"));
  EXPECT_EQ(contents(p), "old contents\n");
  EXPECT_EQ(listing(), std::vector<std::string>{"f.txt"});
}

TEST_F(AtomicFileTest, RenameOntoADirectoryFailsAndRemovesTheTemporary) {
  std::string p = path("g");
  fs::create_directory(p);
  fs::create_directory(p + "/inside");  // a non-empty directory
  try {
    writeFileAtomically(p, "x");
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(),
                StartsWith(p + ": error: cannot rename '" + p + ".tmp-"));
    EXPECT_THAT(e.what(), HasSubstr(std::strerror(EISDIR)));
  }
  EXPECT_EQ(listing(), std::vector<std::string>{"g"});
  EXPECT_TRUE(fs::is_directory(p + "/inside"));
}

std::vector<std::string> stages, files;
void recordHook(const char* stage, const std::string& file) {
  stages.emplace_back(stage);
  files.push_back(file);
}

TEST_F(AtomicFileTest, SyncsTheFileBeforeTheRenameAndTheDirectoryAfter) {
  stages.clear();
  files.clear();
  detail::setAtomicWriteHook(recordHook);
  writeFileAtomically(path("h.txt"), "hello");
  detail::setAtomicWriteHook(nullptr);
  EXPECT_EQ(stages, (std::vector<std::string>{"open", "write", "fsync", "close",
                                              "rename", "fsync-dir"}));
  ASSERT_EQ(files.size(), 6u);
  EXPECT_EQ(files[0], path("h.txt") + ".tmp-" + std::to_string(::getpid()));
  EXPECT_EQ(files[4], path("h.txt"));
  EXPECT_EQ(files[5], dir_);
}

TEST(ParentDirectoryTest, SplitsAtTheLastSlash) {
  EXPECT_EQ(parentDirectory("a/b/c.txt"), "a/b");
  EXPECT_EQ(parentDirectory("c.txt"), ".");
  EXPECT_EQ(parentDirectory("/c.txt"), "/");
}

}  // namespace
}  // namespace tapeflow
