#include "sky/runtime/trusted_directory.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cerrno>
#include <fstream>
#include <string>

#include "temp_dir.h"

namespace {

using sky::core::TrustedDirectory;
using sky_native_test::TempDir;

constexpr unsigned kOtherUid = 4242;

unsigned me() { return ::getuid(); }

// A private directory of the user's under the test's temporary directory
// (which lies in /tmp: sticky, world-writable, root-owned).
std::string private_dir(const TempDir& temp, const std::string& name) {
  std::string path = temp.path() + "/" + name;
  REQUIRE(::mkdir(path.c_str(), 0700) == 0);
  return path;
}

}  // namespace

TEST_CASE("a private directory under /tmp is trusted", "[trusted_directory]") {
  TempDir temp;
  std::string path = private_dir(temp, "mine");
  TrustedDirectory dir = TrustedDirectory::open(path, me(), false);
  INFO(dir.reason());
  CHECK(dir.ok());
  CHECK(dir.reason().empty());
}

TEST_CASE("a missing directory is made 0700 only when asked", "[trusted_directory]") {
  TempDir temp;
  std::string path = temp.path() + "/a/b";
  CHECK_FALSE(TrustedDirectory::open(path, me(), false).ok());
  TrustedDirectory dir = TrustedDirectory::open(path, me(), true);
  INFO(dir.reason());
  REQUIRE(dir.ok());
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777U) == 0700);
}

TEST_CASE("writable by group or others is refused, and says so", "[trusted_directory]") {
  TempDir temp;
  std::string path = private_dir(temp, "open");
  REQUIRE(::chmod(path.c_str(), 0770) == 0);
  TrustedDirectory dir = TrustedDirectory::open(path, me(), false);
  CHECK_FALSE(dir.ok());
  CHECK(dir.fd() == -1);
  CHECK(dir.reason() == path + ": writable by its group (mode 770)");
  // The sticky exception is for levels on the way, never for the directory
  // itself: /tmp is not a private directory.
  REQUIRE(::chmod(path.c_str(), 01777) == 0);
  CHECK(TrustedDirectory::open(path, me(), false).reason() ==
        path + ": writable by others (mode 777)");
}

TEST_CASE("a level owned by another user is refused", "[trusted_directory]") {
  if (::geteuid() != 0) {
    WARN("needs root to give a directory away");
    return;
  }
  TempDir temp;
  std::string squatted = private_dir(temp, "squatted");
  REQUIRE(::mkdir((squatted + "/inner").c_str(), 0700) == 0);
  REQUIRE(::chown(squatted.c_str(), kOtherUid, kOtherUid) == 0);
  TrustedDirectory dir = TrustedDirectory::open(squatted + "/inner", me(), false);
  CHECK_FALSE(dir.ok());
  CHECK(dir.reason() == squatted + ": owned by uid 4242, not by this user or root");
  // The other user sees it as theirs.
  CHECK(TrustedDirectory::open(squatted, kOtherUid, false).ok());
}

TEST_CASE("symbolic links: never in a shared directory, followed in a private one",
          "[trusted_directory]") {
  TempDir temp;
  std::string target = private_dir(temp, "target");
  std::string in_shared = temp.path() + "/link";
  REQUIRE(::symlink(target.c_str(), in_shared.c_str()) == 0);
  // The test's directory itself is private; make it a shared one (as /tmp).
  REQUIRE(::chmod(temp.path().c_str(), 01777) == 0);
  TrustedDirectory shared = TrustedDirectory::open(in_shared, me(), false);
  CHECK_FALSE(shared.ok());
  CHECK(shared.reason() == in_shared + ": a symbolic link in a shared directory");
  REQUIRE(::chmod(temp.path().c_str(), 0700) == 0);
  TrustedDirectory followed = TrustedDirectory::open(in_shared, me(), false);
  INFO(followed.reason());
  CHECK(followed.ok());
  // A relative link, and a link to a level that fails the rule.
  std::string relative = private_dir(temp, "home");
  REQUIRE(::symlink("../target", (relative + "/cache").c_str()) == 0);
  CHECK(TrustedDirectory::open(relative + "/cache", me(), false).ok());
  REQUIRE(::chmod(target.c_str(), 0777) == 0);
  CHECK(TrustedDirectory::open(relative + "/cache", me(), false).reason() ==
        target + ": writable by others (mode 777)");
}

TEST_CASE("relative paths and files are refused; .. is taken on the resolved path",
          "[trusted_directory]") {
  TempDir temp;
  std::string path = private_dir(temp, "d");
  CHECK(TrustedDirectory::open("tmp", me(), false).reason() == "tmp: not an absolute path");
  CHECK(TrustedDirectory::open(path + "/../d", me(), false).ok());
  CHECK(TrustedDirectory::open(path + "/../../" + temp.path().substr(5) + "/d", me(), false).ok());
  std::ofstream(path + "/file") << "x";
  CHECK(TrustedDirectory::open(path + "/file", me(), false).reason() ==
        path + "/file: not a directory");
}

TEST_CASE("open_file: no symbolic links, only trusted regular files, truncation after the check",
          "[trusted_directory]") {
  TempDir temp;
  std::string path = private_dir(temp, "d");
  TrustedDirectory dir = TrustedDirectory::open(path, me(), false);
  REQUIRE(dir.ok());
  int fd = dir.open_file("log", O_WRONLY | O_CREAT | O_EXCL, 0600);
  REQUIRE(fd >= 0);
  ::close(fd);
  CHECK(dir.open_file("log", O_WRONLY | O_CREAT | O_EXCL) == -1);
  CHECK(errno == EEXIST);

  std::string victim = temp.path() + "/victim";
  std::ofstream(victim) << "keep me";
  REQUIRE(::symlink(victim.c_str(), (path + "/link").c_str()) == 0);
  CHECK(dir.open_file("link", O_WRONLY | O_TRUNC) == -1);
  CHECK(errno == ELOOP);

  REQUIRE(::mkfifo((path + "/fifo").c_str(), 0600) == 0);
  CHECK(dir.open_file("fifo", O_RDONLY | O_NONBLOCK) == -1);
  CHECK(errno == EPERM);

  if (::geteuid() == 0) {
    std::ofstream(path + "/theirs") << "keep me";
    REQUIRE(::chown((path + "/theirs").c_str(), kOtherUid, kOtherUid) == 0);
    CHECK(dir.open_file("theirs", O_WRONLY | O_TRUNC) == -1);
    CHECK(errno == EPERM);
    struct stat st {};
    REQUIRE(::stat((path + "/theirs").c_str(), &st) == 0);
    CHECK(st.st_size == 7);
  }
}
