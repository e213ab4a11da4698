#include "sky/functions/file_tail.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sky/common/errors.h"
#include "temp_dir.h"
#include "unprivileged.h"

namespace {

using sky_native_test::TempDir;
using Lines = std::vector<std::string>;

// read_tail_lines's lines, copied out to compare whole.
Lines read_last_n_lines(const std::string& path, std::int64_t n, std::int64_t chunk_size = 8192) {
  sky::core::TailLines tail = sky::core::read_tail_lines(path, n, chunk_size);
  Lines lines;
  for (std::size_t i = 0; i < tail.lines.size(); ++i) lines.emplace_back(tail.line(i));
  return lines;
}

Lines tail(const std::string& bytes, std::int64_t n, std::int64_t chunk_size = 8192) {
  TempDir dir;
  return read_last_n_lines(dir.write("f", bytes), n, chunk_size);
}

// Python: full.split(b'\n') then [-n-1:-1] or [-n:] (the reference model).
Lines model(const std::string& bytes, std::int64_t n) {
  Lines pieces{""};
  for (char c : bytes) {
    if (c == '\n')
      pieces.emplace_back();
    else
      pieces.back() += c;
  }
  auto size = static_cast<std::int64_t>(pieces.size());
  std::int64_t stop = pieces.back().empty() ? size - 1 : size;
  std::int64_t start = std::max<std::int64_t>(0, stop - n);
  return Lines(pieces.begin() + start, pieces.begin() + stop);
}

}  // namespace

TEST_CASE("read_last_n_lines: spec vectors", "[file_tail]") {
  CHECK(tail("a\nb\nc\n", 2) == Lines{"b", "c"});
  CHECK(tail("a\nb\nc", 2) == Lines{"b", "c"});
  CHECK(tail("a\r\r\nb", 2) == Lines{"a\r\r", "b"});  // '\r' stripped after decoding
  CHECK(tail("a\rb\rc", 2) == Lines{"a\rb\rc"});
  CHECK(tail("a\n\nb\n", 2) == Lines{"", "b"});
  CHECK(tail("\n", 1) == Lines{""});
  CHECK(tail("\n\n", 3) == Lines{"", ""});
  CHECK(tail("a\nb\n", 5) == Lines{"a", "b"});
  CHECK(tail("x", 3) == Lines{"x"});
  std::string thousand;
  for (int i = 0; i < 1000; ++i) thousand += "line" + std::to_string(i) + "\n";
  for (std::int64_t chunk : {1, 7, 8192}) {
    CHECK(tail(thousand, 3, chunk) == Lines{"line997", "line998", "line999"});
  }
}

TEST_CASE("read_last_n_lines: small files", "[file_tail]") {
  CHECK(tail("", 3).empty());
  CHECK(tail("x", 1) == Lines{"x"});
  CHECK(tail("\n", 2) == Lines{""});
  CHECK(tail("abc", 1) == Lines{"abc"});                // no trailing newline
  CHECK(tail("a\r\nb\r\n", 5) == Lines{"a\r", "b\r"});  // CRLF kept raw
  CHECK(tail("\r", 1) == Lines{"\r"});                  // lone CR
  CHECK(tail("a\xff\xfe\nb\xed\xa0\x80", 2) == Lines{"a\xff\xfe", "b\xed\xa0\x80"});
}

TEST_CASE("read_last_n_lines: n == 0 reads nothing", "[file_tail]") {
  CHECK(read_last_n_lines("/nonexistent/sky/file", 0).empty());
  CHECK(tail("a\nb\n", 0).empty());
}

TEST_CASE("read_last_n_lines: independent of chunk_size", "[file_tail]") {
  std::string data;
  std::uint32_t state = 12345;
  for (int i = 0; i < 20000; ++i) {
    state = state * 1103515245u + 12345u;
    int pick = static_cast<int>((state >> 16) % 6);
    data += pick == 0 ? '\n' : pick == 1 ? '\r' : static_cast<char>('a' + (state >> 8) % 26);
  }
  data += "tail-without-newline";
  TempDir dir;
  std::string path = dir.write("big", data);
  for (std::int64_t n : {1, 2, 5, 100, 3000, 1000000}) {
    Lines expected = model(data, n);
    for (std::int64_t chunk : {1, 7, 8192, 1 << 20}) {
      INFO("n=" << n << " chunk=" << chunk);
      CHECK(read_last_n_lines(path, n, chunk) == expected);
    }
  }
}

TEST_CASE("read_last_n_lines: multi-megabyte file", "[file_tail]") {
  std::string data;
  for (int i = 0; i < 300000; ++i) data += "log line number " + std::to_string(i) + "\n";
  REQUIRE(data.size() > 5'000'000);
  TempDir dir;
  std::string path = dir.write("log", data);
  CHECK(read_last_n_lines(path, 2) == Lines{"log line number 299998", "log line number 299999"});
  Lines all = read_last_n_lines(path, 1'000'000);
  REQUIRE(all.size() == 300000);
  CHECK(all.front() == "log line number 0");
}

TEST_CASE("read_last_n_lines: reads only the end of the file", "[file_tail]") {
  // A sparse 1 GiB file: tailing it must not read the whole size.
  TempDir dir;
  std::string path = dir.write("sparse", "");
  REQUIRE(::truncate(path.c_str(), 1LL << 30) == 0);
  {
    std::ofstream out(path, std::ios::binary | std::ios::in | std::ios::ate);
    out << "\nlast line\n";
  }
  CHECK(read_last_n_lines(path, 1) == Lines{"last line"});
}

TEST_CASE("read_last_n_lines: errors", "[file_tail]") {
  CHECK_THROWS_AS(tail("a", -1), std::invalid_argument);
  CHECK_THROWS_AS(tail("a", 1, 0), std::invalid_argument);
  CHECK_THROWS_AS(tail("a", 1, -5), std::invalid_argument);
  try {
    read_last_n_lines("/nonexistent/sky/file", 3);
    FAIL("no error");
  } catch (const sky::core::OsError& e) {
    CHECK(e.error_number() == ENOENT);
    CHECK(e.path() == "/nonexistent/sky/file");
    CHECK(std::string(e.what()) == "[Errno 2] No such file or directory: '/nonexistent/sky/file'");
  }
  try {
    read_last_n_lines("/proc", 3);
    FAIL("no error");
  } catch (const sky::core::OsError& e) {
    CHECK(e.error_number() == EISDIR);
    CHECK(std::string(e.what()) == "[Errno 21] Is a directory: '/proc'");
  }
  TempDir dir;
  ::chmod(dir.path().c_str(), 0755);  // only the file is closed
  std::string path = dir.write("secret", "x\n");
  ::chmod(path.c_str(), 0);
  CHECK(sky_native_test::os_error_without_privileges([&] { read_last_n_lines(path, 1); }) ==
        EACCES);
}

TEST_CASE("InputFile: a pipe is not seekable, as for BufferedReader", "[file_tail]") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  // The write end stays open so that opening the read end does not wait.
  std::string path = "/proc/self/fd/" + std::to_string(fds[0]);
  auto file = sky::core::InputFile::open(path);
  try {
    file.seek_end();
    FAIL("no error");
  } catch (const sky::core::NotSeekable& e) {
    CHECK(std::string(e.what()) == "File or stream is not seekable.");
  }
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_CASE("InputFile: seek errors carry no path", "[file_tail]") {
  // procfs seq files answer SEEK_CUR but refuse SEEK_END.
  auto file = sky::core::InputFile::open("/proc/self/maps");
  try {
    file.seek_end();
    FAIL("no error");
  } catch (const sky::core::OsError& e) {
    CHECK(e.error_number() == EINVAL);
    CHECK_FALSE(e.has_path());
    CHECK(std::string(e.what()) == "[Errno 22] Invalid argument");
  }
}
