// SkyPilot's text helpers: format_float and truncate_long_string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sky::core {

/// Largest `precision` format_float accepts; the module defers larger ones
/// to SkyPilot's Python.
constexpr int kMaxFormatPrecision = 1000;

/// format_float(num, precision) for a Python float: a whole number (finite,
/// floor(num) == num) as '{:.0f}' (full expansion, "-0" for -0.0; precision
/// is ignored), anything else as f'{num:.{precision}f}': correctly rounded
/// from the binary value, ties to even, "inf" / "-inf" / "nan" (never
/// "-nan"), never an exponent. Throws std::invalid_argument("Format
/// specifier missing precision") for a negative precision on the non-whole
/// path and std::invalid_argument for a precision above
/// kMaxFormatPrecision.
std::string format_float(double num, int precision = 1);

/// The result of truncate_long_string as slices of its input s: s itself
/// when `truncated` is false, otherwise s[:head] + "..." + s[len(s)-tail:].
struct Truncation {
  bool truncated = false;
  std::size_t head = 0;
  std::size_t tail = 0;
};

/// The index logic of truncate_long_string(s, max_length, truncate_middle)
/// on `length` code points at `text` (one code point per code unit).
/// `max_length` is a Python int clamped to the range of std::ptrdiff_t, as
/// slicing does. Reproduces SkyPilot exactly: the word walk splits on single
/// spaces and counts word lengths without the spaces (so the result may be
/// longer than max_length + 3), a first word longer than max_length is cut
/// with Python's negative-slice rule, and middle mode gives "..." for
/// max_length <= 3. Never throws.
template <typename CodeUnit>
Truncation plan_truncation(const CodeUnit* text, std::size_t length, std::ptrdiff_t max_length,
                           bool truncate_middle) noexcept;

extern template Truncation plan_truncation(const std::uint8_t*, std::size_t, std::ptrdiff_t,
                                           bool) noexcept;
extern template Truncation plan_truncation(const std::uint16_t*, std::size_t, std::ptrdiff_t,
                                           bool) noexcept;
extern template Truncation plan_truncation(const std::uint32_t*, std::size_t, std::ptrdiff_t,
                                           bool) noexcept;
extern template Truncation plan_truncation(const char32_t*, std::size_t, std::ptrdiff_t,
                                           bool) noexcept;

}  // namespace sky::core
