// OnlineCpuCounter: sysconf's number through a kept descriptor that survives
// fork, closerange, dup2 over it and a changed CPU list.
#include "sky/functions/online_cpus.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sky/functions/parallelism.h"
#include "temp_dir.h"

namespace {

using sky::core::OnlineCpuCounter;
using sky_native_test::TempDir;

constexpr long kFallback = -7;  // tells a fallback from any count

long count_list(const std::string& text) {
  return sky::core::count_cpu_list(text.data(), text.size());
}

}  // namespace

TEST_CASE("online_cpus: the kernel's list format, summed as glibc does", "[online_cpus]") {
  REQUIRE(count_list("0\n") == 1);
  REQUIRE(count_list("0-1\n") == 2);
  REQUIRE(count_list("0-3,5,7-8\n") == 7);
  REQUIRE(count_list("0-1023\n") == 1024);
  // Anything else is left to sysconf.
  for (const char* odd : {"", "\n", "0-1", "0-1\n\n", " 0-1\n", "0-\n", "3-1\n", "0,,1\n", "0-1,\n",
                          "a\n", "0-1 \n", "1234567890\n"}) {
    INFO(odd);
    REQUIRE(count_list(odd) == 0);
  }
  REQUIRE(count_list(std::string(1023, '0') + "\n") == 0);  // beyond glibc's one read
}

TEST_CASE("online_cpus: the host's count is sysconf's", "[online_cpus]") {
  OnlineCpuCounter counter;
  long expected = ::sysconf(_SC_NPROCESSORS_ONLN);
  REQUIRE(counter.count() == expected);
  REQUIRE(counter.count() == expected);
  REQUIRE(sky::core::os_cpu_count() == std::optional<long>(expected));
}

TEST_CASE("online_cpus: a changed list is read at once", "[online_cpus]") {
  TempDir scratch;
  std::string path = scratch.write("online", "0-3\n");
  OnlineCpuCounter counter(path, [] { return kFallback; });
  REQUIRE(counter.count() == 4);
  int fd = counter.descriptor();
  REQUIRE(fd >= 0);
  // Rewritten in place (same inode), as sysfs regenerates it.
  int writer = ::open(path.c_str(), O_WRONLY | O_TRUNC);
  REQUIRE(::write(writer, "0-1,4\n", 6) == 6);
  ::close(writer);
  REQUIRE(counter.count() == 3);
  REQUIRE(counter.descriptor() == fd);
  // Unparseable content: the fallback.
  scratch.write("online", "0-1");
  REQUIRE(counter.count() == kFallback);
}

TEST_CASE("online_cpus: a descriptor closed behind its back is reopened", "[online_cpus]") {
  TempDir scratch;
  std::string path = scratch.write("online", "0-7\n");
  OnlineCpuCounter counter(path, [] { return kFallback; });
  REQUIRE(counter.count() == 8);
  REQUIRE(::close(counter.descriptor()) == 0);  // os.closerange
  REQUIRE(counter.count() == 8);
  REQUIRE(counter.descriptor() >= 0);
}

TEST_CASE("online_cpus: another file on its number is never read nor closed", "[online_cpus]") {
  TempDir scratch;
  std::string path = scratch.write("online", "0-7\n");
  std::string other = scratch.write("other", "0-15\n");
  OnlineCpuCounter counter(path, [] { return kFallback; });
  REQUIRE(counter.count() == 8);
  int fd = counter.descriptor();
  int other_fd = ::open(other.c_str(), O_RDONLY);
  REQUIRE(other_fd >= 0);
  REQUIRE(::dup2(other_fd, fd) == fd);  // dup2 over the kept descriptor
  REQUIRE(counter.count() == 8);        // not the other file's 16
  REQUIRE(counter.descriptor() != fd);
  // The other file's descriptor is still open and unmoved.
  char buffer[8] = {};
  REQUIRE(::read(fd, buffer, sizeof buffer) == 5);
  REQUIRE(std::strncmp(buffer, "0-15\n", 5) == 0);
  ::close(fd);
  ::close(other_fd);
  // A missing file: the fallback, every call.
  ::unlink(path.c_str());
  ::close(counter.descriptor());
  REQUIRE(counter.count() == kFallback);
  REQUIRE(counter.descriptor() == -1);
}

TEST_CASE("online_cpus: a forked child counts with its copy, and after closing all",
          "[online_cpus]") {
  TempDir scratch;
  std::string path = scratch.write("online", "0-5\n");
  OnlineCpuCounter counter(path, [] { return kFallback; });
  REQUIRE(counter.count() == 6);
  int fd = counter.descriptor();
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    bool same = counter.count() == 6 && counter.descriptor() == fd;
    for (int i = 3; i < 1024; ++i) ::close(i);      // closerange(3, ...)
    int unrelated = ::open("/dev/null", O_RDONLY);  // takes a freed number
    bool reopened = counter.count() == 6 && counter.descriptor() != unrelated;
    ::_exit(same && reopened ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  REQUIRE(counter.count() == 6);  // the parent's descriptor is untouched
  REQUIRE(counter.descriptor() == fd);
}
