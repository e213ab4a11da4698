// The InterruptCheck of the core's long operations: where it runs, and that
// what it throws ends the operation.
#include "sky/functions/interrupt_check.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "sky/functions/file_tail.h"
#include "sky/functions/input_file.h"
#include "sky/functions/parallelism.h"
#include "sky/functions/ports.h"
#include "temp_dir.h"

namespace {

struct Stop {};

using sky_native_test::TempDir;

// A handler installed without SA_RESTART, as Python installs its own, so
// a blocking open(2) or read(2) fails with EINTR.
void ignore_signal(int /*signal*/) {}

// Runs `blocking(check)` on a thread and sends it SIGUSR1 until the check
// has run; returns how often the check ran before `blocking` ended by the
// check's Stop.
template <typename Blocking>
int interrupted_runs(Blocking&& blocking) {
  struct sigaction action {};
  action.sa_handler = ignore_signal;
  sigemptyset(&action.sa_mask);
  struct sigaction previous {};
  sigaction(SIGUSR1, &action, &previous);
  std::atomic<int> checks{0};
  std::atomic<bool> stopped{false};
  sky::core::InterruptCheck check = [&] {
    ++checks;
    throw Stop();
  };
  std::thread worker([&] {
    try {
      blocking(check);
    } catch (const Stop&) {
      stopped = true;
    }
  });
  pthread_t handle = worker.native_handle();
  while (!stopped) {
    pthread_kill(handle, SIGUSR1);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  worker.join();
  sigaction(SIGUSR1, &previous, nullptr);
  return checks;
}

}  // namespace

TEST_CASE("open of a FIFO without a writer ends by the check on EINTR") {
  TempDir temp;
  const std::string& dir = temp.path();
  std::string fifo = dir + "/fifo";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  int checks = interrupted_runs(
      [&](const sky::core::InterruptCheck& check) { sky::core::InputFile::open(fifo, check); });
  CHECK(checks == 1);
}

TEST_CASE("read of a FIFO whose writer writes nothing ends by the check on EINTR") {
  TempDir temp;
  const std::string& dir = temp.path();
  std::string fifo = dir + "/fifo";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  int writer = ::open(fifo.c_str(), O_RDWR);  // a writer that stays silent
  REQUIRE(writer >= 0);
  sky::core::InputFile file = sky::core::InputFile::open(fifo);
  char buffer[64];
  int checks = interrupted_runs(
      [&](const sky::core::InterruptCheck& check) { file.read(buffer, sizeof buffer, check); });
  CHECK(checks == 1);
  ::close(writer);
}

TEST_CASE("read_last_n_lines checks between two chunks, and a throwing check ends it") {
  TempDir temp;
  const std::string& dir = temp.path();
  std::string path = dir + "/log";
  std::ofstream(path, std::ios::binary) << std::string(1000, 'x');  // 10 chunks of 100
  int checks = 0;
  sky::core::InterruptCheck counting = [&] { ++checks; };
  CHECK(sky::core::read_tail_lines(path, 1, 100, counting).lines.size() == 1);
  CHECK(checks == 9);  // none before the first chunk
  checks = 0;
  sky::core::read_tail_lines(path, 1, 1000, counting);
  CHECK(checks == 0);  // one chunk: nothing between
  int left = 3;
  sky::core::InterruptCheck stopping = [&] {
    if (--left == 0) throw Stop();
  };
  CHECK_THROWS_AS(sky::core::read_tail_lines(path, 1, 100, stopping), Stop);
}

TEST_CASE("find_free_port checks between two probes") {
  int checks = 0;
  sky::core::InterruptCheck counting = [&] { ++checks; };
  // Port 65534 alone: one probe, so no check between probes.
  sky::core::find_free_port(65534, {}, counting);
  CHECK(checks == 0);
  CHECK_THROWS_AS(sky::core::find_free_port(-5, {}, [] { throw Stop(); }), std::overflow_error);
}

TEST_CASE("fd_per_rsync checks between two sources") {
  int checks = 0;
  sky::core::InterruptCheck counting = [&] { ++checks; };
  std::vector<std::optional<std::string>> sources = {std::string("/"), std::nullopt,
                                                     std::string("/tmp")};
  sky::core::fd_per_rsync(sources, counting);
  CHECK(checks == 2);
  CHECK_THROWS_AS(sky::core::fd_per_rsync(sources, [] { throw Stop(); }), Stop);
}
