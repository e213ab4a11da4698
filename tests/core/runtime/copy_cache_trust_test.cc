// The single file's cache on a shared machine: roots and copies another
// user could have made or changed are refused, a root that could not hold
// the copy is remembered, --native-clean acts only where it may.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "sky/common/errors.h"
#include "sky/runtime/single_file/copy_cache.h"
#include "temp_dir.h"

namespace {

using namespace sky::core;  // NOLINT(google-build-using-namespace)
using sky_native_test::TempDir;

constexpr unsigned kOtherUid = 4242;
constexpr unsigned kNobody = 65534;

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// A copy another user planted: a directory with a .pth of theirs.
void plant_copy(const std::string& directory, unsigned owner) {
  REQUIRE(::mkdir(directory.c_str(), 0755) == 0);
  write_file(directory + "/evil.pth", "import os; os.system('id')\n");
  REQUIRE(::chown(directory.c_str(), owner, owner) == 0);
  REQUIRE(::chown((directory + "/evil.pth").c_str(), owner, owner) == 0);
}

// Counts the unpacks, per root.
struct CountingWriter {
  std::vector<std::string> directories;
  CopyWriter writer() {
    return [this](const std::string& directory) {
      directories.push_back(directory);
      write_file(directory + "/file", "content");
    };
  }
};

std::vector<std::string> no_problems(const std::string& /*directory*/) { return {}; }

bool contains(const std::vector<std::string>& lines, const std::string& part) {
  for (const std::string& line : lines) {
    if (line.find(part) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("a root or copy another user owns is refused; the next root is used",
          "[packaging][trust]") {
  if (::geteuid() != 0) {
    WARN("needs root to give directories away");
    return;
  }
  TempDir temp;
  std::string good = temp.path() + "/good";
  // A squatted root (another user made /tmp/sky-native-UID first) holding
  // a complete-looking copy with a .pth of theirs.
  std::string squatted = temp.path() + "/squatted";
  REQUIRE(::mkdir(squatted.c_str(), 0755) == 0);
  plant_copy(squatted + "/v-1", kOtherUid);
  REQUIRE(::chown(squatted.c_str(), kOtherUid, kOtherUid) == 0);
  CountingWriter counting;
  std::vector<std::string> notices;
  auto notice = [&notices](const std::string& line) { notices.push_back(line); };
  CHECK(ensure_copy({squatted, good}, "v-1", ::getuid(), counting.writer(), no_problems, nullptr,
                    notice) == good + "/v-1");
  CHECK(counting.directories.size() == 1);
  CHECK(contains(notices, squatted + ": owned by uid 4242, not by this user or root"));

  // The user's own root, where another user's copy sits (planted while the
  // root was open to them): the copy is refused.
  std::string own = temp.path() + "/own";
  REQUIRE(::mkdir(own.c_str(), 0700) == 0);
  plant_copy(own + "/v-2", kOtherUid);
  notices.clear();
  CHECK(ensure_copy({own, good}, "v-2", ::getuid(), counting.writer(), no_problems, nullptr,
                    notice) == good + "/v-2");
  CHECK(contains(notices, own + "/v-2: owned by uid 4242"));

  // A copy writable by others is refused too.
  std::string open_copy = own + "/v-3";
  plant_copy(open_copy, ::getuid());
  REQUIRE(::chmod(open_copy.c_str(), 0777) == 0);
  CHECK(find_complete_copy({own, good}, "v-3", ::getuid()) == std::nullopt);
}

TEST_CASE("a symbolic link in a shared directory is never followed to a copy",
          "[packaging][trust]") {
  TempDir temp;
  // A sticky, world-writable directory standing for /tmp, in which another
  // user put /tmp/sky-native-UID as a link to a copy of theirs. (Owned by
  // the user here: the rule looks at its mode, as for root's /tmp.)
  std::string shared = temp.path() + "/tmp";
  REQUIRE(::mkdir(shared.c_str(), 0700) == 0);
  REQUIRE(::chmod(shared.c_str(), 01777) == 0);
  std::string elsewhere = temp.path() + "/elsewhere";
  REQUIRE(::mkdir(elsewhere.c_str(), 0700) == 0);
  REQUIRE(::mkdir((elsewhere + "/v-1").c_str(), 0755) == 0);
  std::string link = shared + "/sky-native-1000";
  REQUIRE(::symlink(elsewhere.c_str(), link.c_str()) == 0);
  std::vector<std::string> notices;
  auto notice = [&notices](const std::string& line) { notices.push_back(line); };
  CHECK_FALSE(find_complete_copy({link}, "v-1", ::getuid(), notice));
  CHECK(contains(notices, link + ": a symbolic link in a shared directory"));
  std::string good = temp.path() + "/good";
  CountingWriter counting;
  CHECK(ensure_copy({link, good}, "v-1", ::getuid(), counting.writer(), no_problems, nullptr) ==
        good + "/v-1");
  // A copy that is a link, in a trusted root, is refused as well.
  REQUIRE(::mkdir((good + "/v-2-target").c_str(), 0755) == 0);
  REQUIRE(::symlink((good + "/v-2-target").c_str(), (good + "/v-2").c_str()) == 0);
  notices.clear();
  CHECK_FALSE(find_complete_copy({good}, "v-2", ::getuid(), notice));
  CHECK(contains(notices, good + "/v-2: a symbolic link"));
}

TEST_CASE("a root that could not hold the copy is remembered for this build",
          "[packaging][trust]") {
  TempDir temp;
  std::string full = temp.path() + "/full";
  std::string fallback = temp.path() + "/fallback";
  // The preferred root fills up during every unpack into it.
  std::vector<std::string> attempts;
  CopyWriter write = [&](const std::string& directory) {
    attempts.push_back(directory);
    if (directory.rfind(full, 0) == 0) throw OsError(ENOSPC, directory + "/file");
    write_file(directory + "/file", "content");
  };
  std::vector<std::string> notices;
  auto notice = [&notices](const std::string& line) { notices.push_back(line); };
  CHECK(ensure_copy({full, fallback}, "v-1", ::getuid(), write, no_problems, nullptr, notice) ==
        fallback + "/v-1");
  CHECK(attempts.size() == 2);
  REQUIRE(notices.size() == 1);
  CHECK(notices[0].find(full + " could not hold the copy; " + fallback) != std::string::npos);
  CHECK_FALSE(exists(full + "/v-1"));
  // The next starts use the fallback's copy without unpacking, silently.
  notices.clear();
  for (int start = 0; start < 3; ++start) {
    CHECK(ensure_copy({full, fallback}, "v-1", ::getuid(), write, no_problems, nullptr, notice) ==
          fallback + "/v-1");
  }
  CHECK(attempts.size() == 2);
  CHECK(notices.empty());
  // Another build tries the preferred root again.
  CHECK(ensure_copy({full, fallback}, "v-2", ::getuid(), write, no_problems, nullptr, notice) ==
        fallback + "/v-2");
  CHECK(attempts.size() == 4);
  // A record in a root another user could write is not believed.
  REQUIRE(::chmod(fallback.c_str(), 0777) == 0);
  CHECK_THROWS_AS(
      ensure_copy({full, fallback}, "v-1", ::getuid(), write, no_problems, nullptr, notice),
      std::runtime_error);
  CHECK(attempts.size() == 5);
}

TEST_CASE("clean leaves a squatted root alone and follows no link", "[packaging][trust]") {
  if (::geteuid() != 0) {
    WARN("needs root to give directories away");
    return;
  }
  TempDir temp;
  std::string proc = temp.path() + "/proc";  // an empty /proc: nothing in use
  REQUIRE(::mkdir(proc.c_str(), 0755) == 0);
  // The other user's root, with .lock a link to where they want a file.
  std::string squatted = temp.path() + "/squatted";
  REQUIRE(::mkdir(squatted.c_str(), 0755) == 0);
  std::string target = temp.path() + "/created-by-the-victim";
  REQUIRE(::symlink(target.c_str(), (squatted + "/.lock").c_str()) == 0);
  plant_copy(squatted + "/v-0000000000000000", kOtherUid);
  REQUIRE(::lchown((squatted + "/.lock").c_str(), kOtherUid, kOtherUid) == 0);
  REQUIRE(::chown(squatted.c_str(), kOtherUid, kOtherUid) == 0);
  CleanReport report = remove_unused_copies(squatted, "v-1111111111111111", proc, ::getuid());
  CHECK(report.refused == squatted + ": owned by uid 4242, not by this user or root");
  CHECK(report.removed.empty());
  CHECK_FALSE(exists(target));
  CHECK(exists(squatted + "/v-0000000000000000/evil.pth"));
  // A root that does not exist is no refusal.
  CHECK(remove_unused_copies(temp.path() + "/none", "v-1", proc, ::getuid()).refused.empty());
}

TEST_CASE("clean reports what it could not remove", "[packaging][trust]") {
  if (::geteuid() != 0) {
    WARN("needs root to make a file the user cannot remove");
    return;
  }
  TempDir temp;
  REQUIRE(::chmod(temp.path().c_str(), 0755) == 0);
  std::string proc = temp.path() + "/proc";
  REQUIRE(::mkdir(proc.c_str(), 0755) == 0);
  // nobody's root and old copy, holding a directory of root's that nobody
  // cannot empty.
  std::string root = temp.path() + "/cache";
  std::string old_copy = root + "/v-0000000000000000";
  REQUIRE(::mkdir(root.c_str(), 0700) == 0);
  REQUIRE(::mkdir(old_copy.c_str(), 0755) == 0);
  REQUIRE(::mkdir((old_copy + "/pinned").c_str(), 0755) == 0);
  write_file(old_copy + "/pinned/file", "x");
  write_file(old_copy + "/loose", "x");
  REQUIRE(::chown(root.c_str(), kNobody, kNobody) == 0);
  REQUIRE(::chown(old_copy.c_str(), kNobody, kNobody) == 0);
  REQUIRE(::chown((old_copy + "/loose").c_str(), kNobody, kNobody) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) ::_exit(10);
    CleanReport report = remove_unused_copies(root, "v-1111111111111111", proc, kNobody);
    bool right = report.refused.empty() && report.removed.empty() &&
                 report.not_removed.size() == 1 &&
                 report.not_removed[0] == old_copy + ": " + std::strerror(EACCES);
    ::_exit(right ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(exists(old_copy + "/pinned/file"));
  CHECK_FALSE(exists(old_copy + "/loose"));
}
