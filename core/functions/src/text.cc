// format_float and truncate_long_string.
#include "sky/functions/text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <system_error>

namespace sky::core {

std::string format_float(double num, int precision) {
  // float.is_integer(): finite and whole.
  bool whole = std::isfinite(num) && std::floor(num) == num;
  if (!whole) {
    if (precision < 0) throw std::invalid_argument("Format specifier missing precision");
    if (precision > kMaxFormatPrecision) throw std::invalid_argument("precision too big");
    // Python prints the NaN sign never, the infinity sign always.
    if (std::isnan(num)) return "nan";
    if (std::isinf(num)) return num < 0 ? "-inf" : "inf";
  } else {
    precision = 0;
  }
  // Whole doubles have at most 309 integer digits; a non-whole one is below
  // 2^52 in magnitude, so it has at most 16 integer digits.
  char buffer[320 + kMaxFormatPrecision];
  // std::to_chars with a precision is exact (correctly rounded, ties to
  // even on the binary value), as Python's and glibc's formatting are.
  std::to_chars_result result =
      std::to_chars(buffer, buffer + sizeof(buffer), num, std::chars_format::fixed, precision);
  if (result.ec != std::errc()) throw std::invalid_argument("float does not fit the buffer");
  return std::string(buffer, result.ptr);
}

template <typename CodeUnit>
Truncation plan_truncation(const CodeUnit* text, std::size_t length, std::ptrdiff_t max_length,
                           bool truncate_middle) noexcept {
  Truncation plan;
  // A str never holds more than PY_SSIZE_T_MAX code points.
  std::ptrdiff_t size = static_cast<std::ptrdiff_t>(length);
  if (size <= max_length) return plan;
  plan.truncated = true;
  if (truncate_middle) {
    if (max_length <= 3) return plan;  // "..."
    std::size_t kept = static_cast<std::size_t>(max_length - 3);
    plan.tail = kept / 2;
    plan.head = kept - plan.tail;  // the odd character goes to the front
    return plan;
  }
  const CodeUnit space = static_cast<CodeUnit>(' ');
  const CodeUnit* end = text + length;
  std::ptrdiff_t first_word = std::find(text, end, space) - text;
  if (first_word > max_length) {
    // first_word[:max_length]; a negative bound counts from the word's end.
    plan.head = static_cast<std::size_t>(
        max_length >= 0 ? max_length : std::max<std::ptrdiff_t>(0, first_word + max_length));
    return plan;
  }
  // Walk the words, totalling their lengths without the spaces, up to the
  // first word where the total reaches max_length (or the last word).
  std::ptrdiff_t total = 0;
  std::ptrdiff_t word_start = 0;
  while (true) {
    std::ptrdiff_t word_end = std::find(text + word_start, end, space) - text;
    total += word_end - word_start;
    if (total >= max_length || word_end == size) break;
    word_start = word_end + 1;
  }
  // ' '.join(words before the stop) is s[:word_start - 1], or '' for the
  // first word; a shorter prefix is padded with s[len(prefix):max_length].
  std::ptrdiff_t prefix = word_start == 0 ? 0 : word_start - 1;
  plan.head = static_cast<std::size_t>(std::max(prefix, max_length));
  return plan;
}

template Truncation plan_truncation(const std::uint8_t*, std::size_t, std::ptrdiff_t,
                                    bool) noexcept;
template Truncation plan_truncation(const std::uint16_t*, std::size_t, std::ptrdiff_t,
                                    bool) noexcept;
template Truncation plan_truncation(const std::uint32_t*, std::size_t, std::ptrdiff_t,
                                    bool) noexcept;
template Truncation plan_truncation(const char32_t*, std::size_t, std::ptrdiff_t, bool) noexcept;

}  // namespace sky::core
