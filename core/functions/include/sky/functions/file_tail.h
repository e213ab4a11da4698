// file_tail: the last lines of a file, read backwards in chunks as
// SkyPilot's common_utils.read_last_n_lines does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sky/functions/input_file.h"
#include "sky/functions/interrupt_check.h"

namespace sky::core {

/// The lines read_last_n_lines selects, as places in the bytes it read (no
/// copy of any line): `bytes` holds what was read; each line is
/// bytes[begin, end), without its '\n'. Every line but the last is followed
/// by its '\n' in `bytes`.
struct TailLines {
  struct Line {
    std::size_t begin;
    std::size_t end;
  };
  std::unique_ptr<char[]> bytes;
  std::vector<Line> lines;  // in file order

  std::string_view line(std::size_t i) const {
    return std::string_view(bytes.get() + lines[i].begin, lines[i].end - lines[i].begin);
  }
};

/// Reads `file` backwards from its end in chunks of `chunk_size` bytes
/// until more than `n` newline bytes were read or the start was reached,
/// splits what was read on '\n' and returns the pieces SkyPilot selects:
/// when the data ends in '\n' the (at most) n pieces before the final empty
/// one, otherwise the last (at most) n pieces. The pieces are raw bytes
/// without their '\n' ('\r' is kept; the caller strips it after decoding).
/// An empty file and n == 0 give no lines (n == 0 reads nothing).
/// Throws std::invalid_argument for n < 0 or chunk_size <= 0, OsError for
/// failed reads, and std::out_of_range("list index out of range") when the
/// file had a size but nothing could be read (it shrank meanwhile), where
/// SkyPilot's `result_bytes[-1]` raises IndexError. `check` runs between
/// two chunks and on EINTR (see InterruptCheck).
TailLines read_tail_lines(InputFile& file, std::int64_t n, std::int64_t chunk_size = 8192,
                          const InterruptCheck& check = {});

/// Opens `file_path` (see InputFile::open, errors carry the path) and
/// returns read_tail_lines(file, n, chunk_size). As in SkyPilot, n == 0
/// returns no lines without opening the file. `check` also runs when
/// open(2) is interrupted.
TailLines read_tail_lines(const std::string& file_path, std::int64_t n,
                          std::int64_t chunk_size = 8192, const InterruptCheck& check = {});

}  // namespace sky::core
