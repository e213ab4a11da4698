// read_tail_lines (read_last_n_lines' core) against a direct reference (split everything, take the
// same pieces) on arbitrary file contents, n and chunk sizes.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "sky/functions/file_tail.h"

namespace {

std::vector<std::string> reference(const std::string& content, std::int64_t n) {
  if (n == 0 || content.empty()) return {};
  std::vector<std::string> pieces{""};
  for (char c : content) {
    if (c == '\n') {
      pieces.emplace_back();
    } else {
      pieces.back().push_back(c);
    }
  }
  auto count = static_cast<std::int64_t>(pieces.size());
  // Python: pieces[-n-1:-1] when the data ends in '\n', else pieces[-n:].
  std::int64_t end = pieces.back().empty() ? count - 1 : count;
  std::int64_t begin = end - n < 0 ? 0 : end - n;
  return {pieces.begin() + begin, pieces.begin() + end};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  static const std::string path = [] {
    char pattern[] = "/tmp/sky-native-fuzz-tail-XXXXXX";
    int fd = ::mkstemp(pattern);
    if (fd < 0) std::abort();
    ::close(fd);
    return std::string(pattern);
  }();
  std::int64_t n = data[0] % 16;
  std::int64_t chunk_size = data[1] % 32 + 1;
  std::string content(reinterpret_cast<const char*>(data + 2), size - 2);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  sky::core::TailLines tail = sky::core::read_tail_lines(path, n, chunk_size);
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < tail.lines.size(); ++i) lines.emplace_back(tail.line(i));
  if (lines != reference(content, n)) {
    __builtin_trap();
  }
  return 0;
}
