// parse_python_float on arbitrary bytes: never crashes, and for ASCII input
// without '_' it agrees with a reference parse -- the decimal grammar of
// Python's float() checked by hand, the value from glibc's strtod (correctly
// rounded, as CPython's dtoa is).
#include <cerrno>
#include <clocale>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "sky/functions/python_float.h"

namespace {

// What float() strips of ASCII text (Py_ISSPACE): \t \n \v \f \r and space;
// not \x1c-\x1f, which str.isspace() accepts.
bool is_python_space(char c) { return (c >= '\t' && c <= '\r') || c == ' '; }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool equals_ignoring_case(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)? | [+-]? (inf |
// infinity | nan), for ASCII without '_'.
bool matches_grammar(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  std::string_view rest = s.substr(i);
  if (equals_ignoring_case(rest, "inf") || equals_ignoring_case(rest, "infinity") ||
      equals_ignoring_case(rest, "nan")) {
    return true;
  }
  std::size_t integer = 0;
  while (i < s.size() && is_digit(s[i])) ++i, ++integer;
  std::size_t fraction = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && is_digit(s[i])) ++i, ++fraction;
  }
  if (integer == 0 && fraction == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t exponent = 0;
    while (i < s.size() && is_digit(s[i])) ++i, ++exponent;
    if (exponent == 0) return false;
  }
  return i == s.size();
}

// float(text) for ASCII text without '_'.
std::optional<double> reference(std::string_view text) {
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && is_python_space(text[begin])) ++begin;
  while (end > begin && is_python_space(text[end - 1])) --end;
  std::string stripped(text.substr(begin, end - begin));
  if (!matches_grammar(stripped)) return std::nullopt;
  return std::strtod(stripped.c_str(), nullptr);  // ERANGE: +-inf or a denormal/0, as Python
}

bool reference_applies(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80 || c == '_' || c == '\0') return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool c_locale = std::setlocale(LC_NUMERIC, "C") != nullptr;
  (void)c_locale;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::optional<double> parsed = sky::core::parse_python_float(text);
  if (!reference_applies(text)) return 0;
  std::optional<double> expected = reference(text);
  if (parsed.has_value() != expected.has_value()) __builtin_trap();
  if (!parsed) return 0;
  if (std::isnan(*expected)) {
    if (!std::isnan(*parsed) || std::signbit(*parsed) != std::signbit(*expected)) __builtin_trap();
    return 0;
  }
  // Bit for bit: the sign of a zero counts.
  std::uint64_t parsed_bits = 0;
  std::uint64_t expected_bits = 0;
  std::memcpy(&parsed_bits, &*parsed, sizeof(double));
  std::memcpy(&expected_bits, &*expected, sizeof(double));
  if (parsed_bits != expected_bits) __builtin_trap();
  return 0;
}
