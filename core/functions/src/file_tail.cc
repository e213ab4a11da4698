#include "sky/functions/file_tail.h"

#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "sky/common/errors.h"

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

// Newline places reserved up front (more are added as found).
constexpr std::size_t kReservedNewlines = 4096;

// The new size of a tail buffer that holds `held` bytes and must take
// `wanted` more, with `unread` bytes of the file before them: twice what it
// holds, or, when newlines were found, what their spacing says the wanted
// ones need (plus an eighth and this chunk), so a long tail is copied about
// once; never more than the rest of the file.
std::size_t grown_capacity(std::size_t held, std::size_t wanted, std::size_t unread,
                           std::size_t newlines_found, std::size_t newlines_wanted) {
  const std::size_t most = held + wanted + unread;
  std::size_t capacity = std::max(held + wanted, 2 * held);
  if (newlines_found > 0) {
    double estimate = static_cast<double>(held) / static_cast<double>(newlines_found) *
                          static_cast<double>(newlines_wanted) * 1.125 +
                      static_cast<double>(wanted);
    if (estimate > static_cast<double>(capacity)) {
      capacity = estimate < static_cast<double>(most) ? static_cast<std::size_t>(estimate) : most;
    }
  }
  return std::min(capacity, most);
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
  // grows towards the front, left uninitialised (the reads fill it).
  //
  // Only whether more than n newlines were seen decides anything, and the
  // selection needs just the last n + 1 of them: each chunk is searched
  // backwards for the newlines still wanted, kept as distances from the end
  // of the data (which growing at the front leaves as they are), nearest
  // first.
  // (A file holds at most file_size newlines: n + 1 beyond that is never
  // reached, and must not overflow.)
  const std::size_t wanted_newlines = static_cast<std::size_t>(std::min(n, file_size)) + 1;
  std::vector<std::size_t> newlines;
  newlines.reserve(std::min<std::size_t>(wanted_newlines, kReservedNewlines));
  std::unique_ptr<char[]> buffer;
  std::size_t size = 0;
  std::size_t begin = 0;
  std::int64_t pos = file_size;
  while (pos > 0 && newlines.size() < wanted_newlines) {
    // Python's loop runs the signal handlers between two chunks.
    if (check && pos < file_size) check();
    std::int64_t read_size = std::min(chunk_size, pos);
    pos -= read_size;
    auto wanted = static_cast<std::size_t>(read_size);
    if (begin < wanted) {
      std::size_t held = size - begin;
      std::size_t capacity = grown_capacity(held, wanted, static_cast<std::size_t>(pos),
                                            newlines.size(), wanted_newlines);
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
    for (std::size_t searched = got; newlines.size() < wanted_newlines;) {
      const void* found = ::memrchr(chunk, '\n', searched);
      if (found == nullptr) break;
      searched = static_cast<std::size_t>(static_cast<const char*>(found) - chunk);
      newlines.push_back(size - (begin + searched));
    }
  }
  // Python's `result_bytes[-1]` on nothing read (the file shrank to empty).
  if (begin == size) throw std::out_of_range("list index out of range");

  // full_bytes.split(b'\n'), then [-n-1:-1] when the last piece is empty,
  // else [-n:]: from the end, each line ends where the one after it starts
  // (first the data's end, or its final newline) and starts after the
  // next newline found, or at the data's start, the last line taken.
  const bool ends_with_newline = !newlines.empty() && newlines.front() == 1;
  std::size_t line_end = ends_with_newline ? size - 1 : size;
  std::size_t next_newline = ends_with_newline ? 1 : 0;
  TailLines result;
  result.lines.reserve(std::min(static_cast<std::size_t>(n), newlines.size() + 1));
  while (static_cast<std::int64_t>(result.lines.size()) < n) {
    if (next_newline == newlines.size()) {
      result.lines.push_back(TailLines::Line{begin, line_end});
      break;
    }
    std::size_t newline_at = size - newlines[next_newline++];
    result.lines.push_back(TailLines::Line{newline_at + 1, line_end});
    line_end = newline_at;
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

}  // namespace sky::core
