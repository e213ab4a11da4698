#include "sky/functions/parallelism.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>

#include "sky/common/errors.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using namespace sky::core;  // NOLINT: test file

namespace {

using sky_native_test::TempDir;

void touch(const fs::path& path) { std::ofstream(path.string()) << "x"; }

// The spec's vector: a, b, .hidden, sub/, dangling -> nowhere.
fs::path make_spec_directory(const fs::path& parent) {
  fs::path dir = parent / "d";
  fs::create_directory(dir);
  touch(dir / "a");
  touch(dir / "b");
  touch(dir / ".hidden");
  fs::create_directory(dir / "sub");
  touch(dir / "sub" / "inner");  // not counted: not recursive
  fs::create_symlink(parent / "nowhere", dir / "dangling");
  return dir;
}

}  // namespace

TEST_CASE("floor_divide rounds toward minus infinity", "[parallelism]") {
  CHECK(floor_divide(924, 5) == 184);
  CHECK(floor_divide(924, 1500) == 0);
  CHECK(floor_divide(-101, 5) == -21);  // C++ would give -20
  CHECK(floor_divide(-100, 5) == -20);
  CHECK(floor_divide(-1, 5) == -1);
  CHECK(floor_divide(7, -2) == -4);
  CHECK(floor_divide(-7, -2) == 3);
  CHECK(floor_divide(0, 7) == 0);
  CHECK(floor_divide(std::numeric_limits<std::int64_t>::min(), 5) ==
        std::numeric_limits<std::int64_t>::min() / 5 - 1);
  CHECK_THROWS_AS(floor_divide(1, 0), std::invalid_argument);
  CHECK_THROWS_AS(floor_divide(std::numeric_limits<std::int64_t>::min(), -1), std::overflow_error);
}

TEST_CASE("get_parallel_threads follows the spec table", "[parallelism]") {
  for (long cpus = 1; cpus <= 5; ++cpus) {
    CHECK(get_parallel_threads(cpus, false) == 4);
    CHECK(get_parallel_threads(cpus, true) == 16);
  }
  CHECK(get_parallel_threads(8, false) == 7);
  CHECK(get_parallel_threads(8, true) == 28);
  CHECK(get_parallel_threads(64, false) == 63);
  CHECK(get_parallel_threads(std::nullopt, false) == 4);  // None -> 1
}

TEST_CASE("is_kubernetes_ascii lower-cases ASCII only", "[parallelism]") {
  CHECK(is_kubernetes_ascii("kubernetes"));
  CHECK(is_kubernetes_ascii("Kubernetes"));
  CHECK(is_kubernetes_ascii("KUBERNETES"));
  CHECK(is_kubernetes_ascii("kUbErNeTeS"));
  CHECK_FALSE(is_kubernetes_ascii("k8s"));
  CHECK_FALSE(is_kubernetes_ascii(""));
  CHECK_FALSE(is_kubernetes_ascii("kubernetes "));
  CHECK_FALSE(is_kubernetes_ascii("kubernete"));
  CHECK_FALSE(is_kubernetes_ascii("kubernetez"));
  CHECK_FALSE(is_kubernetes_ascii(std::string_view("kubernetes\0", 11)));
  // '@' + 32 is '`': not a letter, must not match.
  CHECK_FALSE(is_kubernetes_ascii("kubernete@"));
}

TEST_CASE("os_cpu_count is sysconf(_SC_NPROCESSORS_ONLN)", "[parallelism]") {
  auto count = os_cpu_count();
  REQUIRE(count.has_value());
  CHECK(*count == sysconf(_SC_NPROCESSORS_ONLN));
}

TEST_CASE("soft_nofile_limit reads the soft limit; infinity is -1", "[parallelism]") {
  rlimit saved{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
  CHECK(soft_nofile_limit() == static_cast<long>(saved.rlim_cur));
  if (saved.rlim_max >= 512) {
    rlimit low = saved;
    low.rlim_cur = 512;
    REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
    CHECK(soft_nofile_limit() == 512);
    REQUIRE(setrlimit(RLIMIT_NOFILE, &saved) == 0);
  }
  // RLIM_INFINITY cannot be set for NOFILE; check the narrowing itself.
  CHECK(static_cast<long>(RLIM_INFINITY) == -1);
}

TEST_CASE("count_directory_entries counts like os.listdir", "[parallelism]") {
  TempDir temp_dir;
  const fs::path temp = temp_dir.path();
  fs::path dir = make_spec_directory(temp);
  CHECK(count_directory_entries(dir.string()) == 5);
  CHECK(estimate_fd_for_directory(dir.string()) == 25);
  // A symlink to the directory is followed.
  fs::create_directory_symlink(dir, temp / "link");
  CHECK(count_directory_entries((temp / "link").string()) == 5);
  CHECK(estimate_fd_for_directory((temp / "link").string()) == 25);
  CHECK(is_directory((temp / "link").string()));
  // Empty directory.
  fs::create_directory(temp / "empty");
  CHECK(count_directory_entries((temp / "empty").string()) == 0);
  CHECK(estimate_fd_for_directory((temp / "empty").string()) == 0);
  // 300 entries.
  fs::create_directory(temp / "many");
  for (int i = 0; i < 300; ++i) touch(temp / "many" / std::to_string(i));
  CHECK(estimate_fd_for_directory((temp / "many").string()) == 1500);
}

TEST_CASE("count_directory_entries throws OsError as os.listdir does", "[parallelism]") {
  TempDir temp_dir;
  const fs::path temp = temp_dir.path();
  touch(temp / "file");
  std::string missing = (temp / "missing").string();
  std::string file = (temp / "file").string();
  try {
    count_directory_entries(missing);
    FAIL("no throw");
  } catch (const OsError& e) {
    CHECK(e.error_number() == ENOENT);
    CHECK(e.path() == missing);
  }
  try {
    count_directory_entries(file);
    FAIL("no throw");
  } catch (const OsError& e) {
    CHECK(e.error_number() == ENOTDIR);
  }
  CHECK(estimate_fd_for_directory(missing) == 0);
  CHECK(estimate_fd_for_directory(file) == 0);
  CHECK(estimate_fd_for_directory("") == 0);
  CHECK(estimate_fd_for_directory("/nonexistent") == 0);
  CHECK(estimate_fd_for_directory(std::string(5000, 'a')) == 0);  // ENAMETOOLONG
  // Too many symlink levels.
  fs::create_symlink(temp / "loop", temp / "loop");
  CHECK(estimate_fd_for_directory((temp / "loop").string()) == 0);
  CHECK_FALSE(is_directory((temp / "loop").string()));
  CHECK_FALSE(is_directory(file));
  CHECK_FALSE(is_directory(missing));
  CHECK_FALSE(is_directory(""));
}

TEST_CASE("an unreadable directory: OsError EACCES, estimate 0", "[parallelism]") {
  TempDir temp_dir;
  const fs::path temp = temp_dir.path();
  fs::path dir = make_spec_directory(temp);
  fs::permissions(dir, fs::perms::none);
  if (getuid() != 0) {
    CHECK_THROWS_AS(count_directory_entries(dir.string()), OsError);
    CHECK(estimate_fd_for_directory(dir.string()) == 0);
    CHECK(is_directory(dir.string()));
    return;
  }
  // Root reads anything: check from a child without privileges.
  fs::permissions(temp, fs::perms::all);
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(3);
    try {
      count_directory_entries(dir.string());
      _exit(4);
    } catch (const OsError& e) {
      if (e.error_number() != EACCES) _exit(5);
    }
    if (estimate_fd_for_directory(dir.string()) != 0) _exit(6);
    if (!is_directory(dir.string())) _exit(7);
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("max_workers_for_file_mounts: the spec's worked examples", "[parallelism]") {
  CHECK(max_workers_for_file_mounts(1024, 5, 7) == 7);
  CHECK(max_workers_for_file_mounts(1024, 5, 1000) == 184);
  CHECK(max_workers_for_file_mounts(1024, 1500, 7) == 1);
  CHECK(max_workers_for_file_mounts(1048576, 50, 1000000) == 20969);
  CHECK(max_workers_for_file_mounts(1048576, 50, 4) == 4);
  CHECK(max_workers_for_file_mounts(-1, 5, 7) == 1);  // RLIM_INFINITY
  CHECK(max_workers_for_file_mounts(100, 5, 7) == 1);
  CHECK(max_workers_for_file_mounts(105, 5, 7) == 1);
  CHECK(max_workers_for_file_mounts(115, 5, 7) == 3);
  CHECK(max_workers_for_file_mounts(std::numeric_limits<long>::min(), 5, 7) == 1);
  CHECK_THROWS_AS(max_workers_for_file_mounts(1024, 0, 7), std::invalid_argument);
}
