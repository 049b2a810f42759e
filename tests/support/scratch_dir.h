// tests/support/scratch_dir.h - a fresh directory for the files of one test,
// removed with everything in it afterwards.
//
// NOTE: this declares tapeflow::testing, which hides GoogleTest's ::testing
// inside namespace tapeflow: files that include it spell GoogleTest's names
// ::testing::Test, ::testing::HasSubstr, ...
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace tapeflow::testing {

class ScratchDir {
 public:
  /// Creates <GoogleTest's TempDir()><prefix>_XXXXXX; throws
  /// std::runtime_error when it cannot.
  explicit ScratchDir(const std::string& prefix) {
    std::string tmpl = ::testing::TempDir() + prefix + "_XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data()))
      throw std::runtime_error("cannot create a directory from " + tmpl);
    dir_ = buf.data();
  }
  /// Gives the owner back every permission a test took away, then removes
  /// the directory and everything in it.
  ~ScratchDir() {
    std::error_code ec;
    restorePermissions(dir_);
    std::filesystem::remove_all(dir_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  /// The directory, without a trailing slash.
  const std::string& path() const { return dir_; }
  /// `name` inside the directory.
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  /// Writes `bytes` to `name` inside the directory; returns its path.
  std::string write(const std::string& name, const std::string& bytes) const {
    std::string p = path(name);
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }

 private:
  /// Never follows a link: only what the test created is touched.
  static void restorePermissions(const std::filesystem::path& p) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::file_status st = fs::symlink_status(p, ec);
    if (ec || fs::is_symlink(st)) return;
    fs::permissions(p, fs::perms::owner_all, fs::perm_options::add, ec);
    if (!fs::is_directory(st)) return;
    for (const auto& e : fs::directory_iterator(p, ec))
      restorePermissions(e.path());
  }

  std::string dir_;
};

}  // namespace tapeflow::testing
