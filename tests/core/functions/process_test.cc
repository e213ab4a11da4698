#include "sky/functions/process.h"

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "sky/common/errors.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using sky::core::is_process_alive;
using sky::core::is_zombie;
using sky::core::proc_stat_state;

namespace {

constexpr const char* kProcRoot = SKY_NATIVE_TESTDATA_DIR "/proc/root";

using sky_native_test::TempDir;

// Waits until the child shows state Z in the real /proc.
bool wait_for_zombie(pid_t pid) {
  for (int i = 0; i < 500; ++i) {
    if (is_zombie(pid).value_or(false)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

}  // namespace

TEST_CASE("proc_stat_state takes the first token after the last paren", "[process]") {
  CHECK(proc_stat_state("1 (bash) S 1 2 3") == std::string("S"));
  CHECK(proc_stat_state("1 (evil) R (x) Z 1") == std::string("Z"));
  CHECK(proc_stat_state("1 (a) Z b) S 1") == std::string("S"));
  CHECK(proc_stat_state("1 (x)\t\n Z\x0b") == std::string("Z"));
  CHECK(proc_stat_state(std::string_view("1 (\xff\0) Z 1", 10)) == std::string("Z"));
  CHECK(proc_stat_state("1 (x) ZZ 1") == std::string("ZZ"));
  CHECK_FALSE(proc_stat_state("no paren Z").has_value());
  CHECK_FALSE(proc_stat_state("").has_value());
  CHECK_FALSE(proc_stat_state("1 (x)   \n").has_value());
  // \x1c is whitespace for str.split() but not for bytes.split().
  CHECK(proc_stat_state("1 (x)\x1cZ") == std::string("\x1cZ"));
}

TEST_CASE("is_zombie reads fixture stat files", "[process]") {
  CHECK(is_zombie(100, kProcRoot) == false);
  CHECK(is_zombie(101, kProcRoot) == true);
  CHECK(is_zombie(102, kProcRoot) == false);
  CHECK(is_zombie(103, kProcRoot) == true);
  CHECK_FALSE(is_zombie(104, kProcRoot).has_value());
  CHECK_FALSE(is_zombie(105, kProcRoot).has_value());
  CHECK_FALSE(is_zombie(106, kProcRoot).has_value());
  CHECK(is_zombie(107, kProcRoot) == false);
  CHECK_FALSE(is_zombie(999, kProcRoot).has_value());
  CHECK_FALSE(is_zombie(100, "/nonexistent-proc-root").has_value());
}

TEST_CASE("is_zombie reads stat files longer than one read", "[process]") {
  TempDir temp;
  const fs::path root = temp.path();
  fs::create_directories(root / "7");
  // The last ')' lies beyond the first 4096 bytes.
  std::ofstream(root / "7" / "stat") << "7 (" << std::string(5000, ')') << ") Z 1 2 3\n";
  CHECK(is_zombie(7, root.string()) == true);
  std::ofstream(root / "7" / "stat", std::ios::trunc)
      << "7 (" << std::string(4093, 'x') << ") R 1\n";
  CHECK(is_zombie(7, root.string()) == false);
}

TEST_CASE("is_process_alive: non-positive and out-of-range pids", "[process]") {
  CHECK_FALSE(is_process_alive(0));
  CHECK_FALSE(is_process_alive(-1));
  CHECK_FALSE(is_process_alive(-12345));
  CHECK_FALSE(is_process_alive(sky::core::kMaxPid));  // above any pid_max: ESRCH
  CHECK_FALSE(is_process_alive(sky::core::kMaxPid + 1));
  CHECK_FALSE(is_process_alive(1LL << 40));
  // 2**32 + 1 would narrow to pid 1: the range check comes first.
  CHECK_FALSE(is_process_alive((1LL << 32) + 1));
}

TEST_CASE("is_process_alive: live processes", "[process]") {
  CHECK(is_process_alive(getpid()));
  CHECK(is_process_alive(1));
}

TEST_CASE("is_process_alive: the injected proc root decides the zombie check", "[process]") {
  TempDir temp;
  const fs::path root = temp.path();
  fs::create_directories(root / std::to_string(getpid()));
  // No stat file: the kill() answer stands.
  CHECK(is_process_alive(getpid(), root.string()));
  fs::copy_file(fs::path(kProcRoot) / "101/stat", root / std::to_string(getpid()) / "stat");
  CHECK_FALSE(is_process_alive(getpid(), root.string()));
  fs::copy_file(fs::path(kProcRoot) / "102/stat", root / std::to_string(getpid()) / "stat",
                fs::copy_options::overwrite_existing);
  CHECK(is_process_alive(getpid(), root.string()));
}

TEST_CASE("is_process_alive: a real zombie, then reaped", "[process]") {
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) _exit(0);
  REQUIRE(wait_for_zombie(child));
  CHECK_FALSE(is_process_alive(child));
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK_FALSE(is_process_alive(child));
}

TEST_CASE("is_process_alive: a live child, then killed", "[process]") {
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    pause();
    _exit(0);
  }
  CHECK(is_process_alive(child));
  REQUIRE(kill(child, SIGKILL) == 0);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK_FALSE(is_process_alive(child));
}

TEST_CASE("is_process_alive: EPERM counts as alive", "[process]") {
  if (getuid() != 0) {
    // Not root: pid 1 belongs to someone else, kill() gives EPERM.
    CHECK(is_process_alive(1));
    return;
  }
  // As root, drop privileges in a child and check pid 1 from there.
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(3);
    if (kill(1, 0) == 0 || errno != EPERM) _exit(4);
    _exit(is_process_alive(1) ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
