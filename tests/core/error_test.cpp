// tests/core/error_test.cpp - error lines: format, and control characters
// from user files escaped so that a message stays one harmless line.
#include "core/error.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/program.h"
#include "frontends/pbtxt/pbtxt_loader.h"
#include "ops/registry.h"

namespace tapeflow {
namespace {

using ::testing::HasSubstr;

bool hasControl(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

TEST(ErrorTest, FormatsLocationNodeOpAndMessage) {
  GraphError e(SourceLoc{"m.pbtxt", 3, 5}, "fc", "Linear", "bad input");
  EXPECT_STREQ(e.what(), "m.pbtxt:3:5: error: node 'fc' (Linear): bad input");
  EXPECT_EQ(e.message(), "bad input");
}

TEST(ErrorTest, EscapesControlCharactersEverywhere) {
  GraphError e(SourceLoc{"dir\n/m.pbtxt", 0, 0}, "a\x1b[31mb", "Op\t",
               "value 'x\ry\x7f' is \x01odd");
  EXPECT_STREQ(e.what(),
               "dir\\n/m.pbtxt: error: node 'a\\x1b[31mb' (Op\\t): value "
               "'x\\ry\\x7f' is \\x01odd");
  // Valid UTF-8 is kept as it is.
  GraphError u(SourceLoc{}, "\xe2\x82\xac", "", "ok");
  EXPECT_STREQ(u.what(), "error: node '\xe2\x82\xac': ok");
}

TEST(ErrorTest, ControlCharactersInGraphNamesAreEscapedInMessages) {
  // The pbtxt escapes \033 and \n put an ESC and a newline into the names.
  const std::string text =
      "input { name: \"x\" shape: [-1, 2] }\n"
      "node { name: \"r\\033[2J\" op: \"Relu\" input: \"x\\nrm -rf\" "
      "output: \"y\" }\n";
  try {
    Program::build(parseGraphText(text, "ctl.pbtxt"), ops::registry());
    FAIL() << "accepted";
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_FALSE(hasControl(what)) << what;
    EXPECT_THAT(what, HasSubstr("\\x1b[2J"));
  }
}

}  // namespace
}  // namespace tapeflow
