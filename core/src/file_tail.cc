#include "sky/core/file_tail.h"

#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "sky/core/errors.h"

namespace sky::core {
namespace {

// Copies `size` bytes in steps of 1 MiB (well under a millisecond) with
// `check` between them: growing a long tail's buffer then holds a signal
// back about as long as a read does, as in Python's loop (which never
// copies what it read).
void move_in_steps(const char* from, std::size_t size, char* to, const InterruptCheck& check) {
  constexpr std::size_t kStep = std::size_t{1} << 20;
  for (std::size_t done = 0; done < size; done += kStep) {
    if (check && done > 0) check();
    std::memcpy(to + done, from + done, std::min(kStep, size - done));
  }
}

// The number of '\n' in [data, data + size): memchr finds them many bytes
// at a time (std::count steps byte by byte).
std::int64_t count_newlines(const char* data, std::size_t size) {
  std::int64_t count = 0;
  const char* end = data + size;
  while (const void* found = std::memchr(data, '\n', static_cast<std::size_t>(end - data))) {
    ++count;
    data = static_cast<const char*>(found) + 1;
  }
  return count;
}

std::vector<std::string> copy_lines(const TailLines& tail) {
  std::vector<std::string> lines;
  lines.reserve(tail.lines.size());
  for (std::size_t i = 0; i < tail.lines.size(); ++i) lines.emplace_back(tail.line(i));
  return lines;
}

}  // namespace

TailLines read_tail_lines(InputFile& file, std::int64_t n, std::int64_t chunk_size,
                          const InterruptCheck& check) {
  if (n < 0) throw std::invalid_argument("n must be non-negative");
  if (chunk_size <= 0) throw std::invalid_argument("chunk_size must be positive");
  if (n == 0) return {};
  std::int64_t file_size = file.seek_end();
  if (file_size == 0) return {};

  // SkyPilot's loop: read `chunk_size` bytes ending at `pos`, stepping back,
  // while pos > 0 and at most n newlines were seen. The chunks are stored in
  // file order at the back of `buffer` (data is buffer[begin, size)), which
  // grows towards the front; reading follows chunk_size so the cost grows
  // with n, not with the file size. The buffer is left uninitialised (the
  // reads fill it).
  std::unique_ptr<char[]> buffer;
  std::size_t size = 0;
  std::size_t begin = 0;
  std::int64_t pos = file_size;
  std::int64_t lines_found = 0;
  while (pos > 0 && lines_found <= n) {
    // Python's loop runs the signal handlers between two chunks.
    if (check && pos < file_size) check();
    std::int64_t read_size = std::min(chunk_size, pos);
    pos -= read_size;
    auto wanted = static_cast<std::size_t>(read_size);
    if (begin < wanted) {
      std::size_t held = size - begin;
      std::size_t capacity = std::max(held + wanted, 2 * size);
      std::unique_ptr<char[]> grown(new char[capacity]);
      move_in_steps(buffer.get() + begin, held, grown.get() + (capacity - held), check);
      buffer = std::move(grown);
      size = capacity;
      begin = capacity - held;
    }
    char* chunk = buffer.get() + begin - wanted;
    std::size_t got = file.read_at(pos, chunk, wanted, check);
    if (got < wanted) {
      // The file shrank: keep only what was read, as f.read() returns it.
      std::copy_backward(chunk, chunk + got, buffer.get() + begin);
      chunk = buffer.get() + begin - got;
    }
    begin -= got;
    lines_found += count_newlines(chunk, got);
  }
  std::string_view tail(buffer.get() + begin, size - begin);

  // full_bytes.split(b'\n'), then [-n-1:-1] when the last piece is empty,
  // else [-n:]: walk back over at most n pieces (+1 for the empty last one),
  // memrchr from one '\n' to the one before.
  std::size_t end = tail.size();
  if (!tail.empty() && tail.back() == '\n')
    --end;
  else if (tail.empty())
    throw std::out_of_range("list index out of range");
  TailLines result;
  result.lines.reserve(static_cast<std::size_t>(std::min(n, lines_found + 1)));
  std::size_t piece_end = end;
  while (static_cast<std::int64_t>(result.lines.size()) < n) {
    const void* newline = piece_end == 0 ? nullptr : ::memrchr(tail.data(), '\n', piece_end);
    std::size_t start =
        newline == nullptr
            ? 0
            : static_cast<std::size_t>(static_cast<const char*>(newline) - tail.data()) + 1;
    result.lines.push_back(TailLines::Line{begin + start, begin + piece_end});
    if (newline == nullptr) break;
    piece_end = start - 1;
  }
  std::reverse(result.lines.begin(), result.lines.end());
  result.bytes = std::move(buffer);
  return result;
}

TailLines read_tail_lines(const std::string& file_path, std::int64_t n, std::int64_t chunk_size,
                          const InterruptCheck& check) {
  if (n < 0) throw std::invalid_argument("n must be non-negative");
  if (chunk_size <= 0) throw std::invalid_argument("chunk_size must be positive");
  if (n == 0) return {};
  InputFile file = InputFile::open(file_path, check);
  return read_tail_lines(file, n, chunk_size, check);
}

std::vector<std::string> read_last_n_lines(InputFile& file, std::int64_t n, std::int64_t chunk_size,
                                           const InterruptCheck& check) {
  return copy_lines(read_tail_lines(file, n, chunk_size, check));
}

std::vector<std::string> read_last_n_lines(const std::string& file_path, std::int64_t n,
                                           std::int64_t chunk_size, const InterruptCheck& check) {
  return copy_lines(read_tail_lines(file_path, n, chunk_size, check));
}

}  // namespace sky::core
