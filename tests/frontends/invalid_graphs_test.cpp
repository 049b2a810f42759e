// tests/frontends/invalid_graphs_test.cpp - every file in tests/graphs/invalid
// must fail to load or validate with the message and line its header names:
//   # expect-line: 7
//   # expect-error: node 'c' (MatMul): inner dimensions differ
// Adding a negative test means adding a file.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/program.h"
#include "frontends/pbtxt/pbtxt_loader.h"
#include "ops/registry.h"
#include "tests/support/tree_paths.h"

namespace tapeflow {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> corpus() {
  std::vector<std::string> files;
  fs::path dir = fs::path(tapeflow::paths::sourceDir()) / "tests/graphs/invalid";
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".pbtxt") files.push_back(e.path().filename());
  std::sort(files.begin(), files.end());
  return files;
}

struct Expectation {
  int line = -1;
  std::string message;
};

Expectation readHeader(const fs::path& path) {
  Expectation e;
  std::ifstream in(path);
  std::string s;
  while (std::getline(in, s)) {
    if (s.rfind("# expect-line: ", 0) == 0) e.line = std::stoi(s.substr(15));
    if (s.rfind("# expect-error: ", 0) == 0) e.message = s.substr(16);
  }
  return e;
}

class InvalidGraphTest : public ::testing::TestWithParam<std::string> {};

TEST_P(InvalidGraphTest, FailsWithExpectedMessageAndLine) {
  fs::path path = fs::path(tapeflow::paths::sourceDir()) / "tests/graphs/invalid" / GetParam();
  Expectation want = readHeader(path);
  ASSERT_GE(want.line, 0) << "missing '# expect-line:' header";
  ASSERT_FALSE(want.message.empty()) << "missing '# expect-error:' header";
  try {
    Program::build(loadGraphFile(path.string()), ops::registry());
    FAIL() << "graph was accepted";
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find(want.message), std::string::npos)
        << "message: " << what << "\nexpected to contain: " << want.message;
    EXPECT_EQ(e.loc().line, want.line) << what;
    EXPECT_EQ(e.loc().file, path.string()) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "not one line: " << what;
    EXPECT_NE(what.find("error: "), std::string::npos) << what;
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, InvalidGraphTest, ::testing::ValuesIn(corpus()),
                         [](const auto& info) {
                           std::string n = info.param.substr(0, info.param.size() - 6);
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST(InvalidGraphCorpusTest, CoversAtLeastThirtyCases) {
  EXPECT_GE(corpus().size(), 30u);
}

}  // namespace
}  // namespace tapeflow
