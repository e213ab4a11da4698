// Python's float(str), following CPython 3.11's PyFloat_FromString:
// _PyUnicode_TransformDecimalAndSpaceToASCII, then
// _Py_string_to_number_with_underscores, then float_from_string_inner
// (ASCII whitespace strip, _Py_dg_strtod or _Py_parse_inf_or_nan).
#include "sky/functions/python_float.h"

#include <locale.h>
#include <stdlib.h>

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>

#include "sky/functions/unicode.h"

namespace sky::core {
namespace {

// CPython's default sys.get_int_max_str_digits().
constexpr std::size_t kIntMaxStrDigits = 4300;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The text as _PyUnicode_TransformDecimalAndSpaceToASCII leaves it: ASCII
// kept, other whitespace as ' ', other decimal digits as their ASCII digit.
// False where that function would put a '?' (float() then fails anyway).
bool transform_to_ascii(std::string_view utf8, std::string& out) {
  bool ascii = true;
  for (char c : utf8) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    out.assign(utf8);
    return true;
  }
  std::u32string code_points;
  if (!decode_utf8(utf8, code_points)) return false;
  return transform_decimal_and_space_to_ascii(code_points, out);
}

// _Py_string_to_number_with_underscores: '_' only between two ASCII digits;
// no embedded NUL. Removes the underscores in place.
bool remove_underscores(std::string& text) {
  if (text.find('\0') != std::string::npos) return false;
  if (text.find('_') == std::string::npos) return true;
  std::string out;
  out.reserve(text.size());
  char prev = '\0';
  for (char c : text) {
    if (c == '_') {
      if (!is_digit(prev)) return false;
    } else {
      if (prev == '_' && !is_digit(c)) return false;
      out.push_back(c);
    }
    prev = c;
  }
  if (prev == '_') return false;
  text.swap(out);
  return true;
}

// The whole of `s` is what _Py_dg_strtod accepts:
// [sign] (digits [. digits*] | . digits) [(e|E) [sign] digits].
bool is_decimal_literal(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  std::size_t mantissa_digits = 0;
  while (i < s.size() && is_digit(s[i])) ++i, ++mantissa_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && is_digit(s[i])) ++i, ++mantissa_digits;
  }
  if (mantissa_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t exponent_digits = 0;
    while (i < s.size() && is_digit(s[i])) ++i, ++exponent_digits;
    if (exponent_digits == 0) return false;
  }
  return i == s.size();
}

// strtod in the C locale, whatever the process locale is.
double c_locale_strtod(const std::string& text) {
  static locale_t c_locale = newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(nullptr));
  return strtod_l(text.c_str(), nullptr, c_locale);
}

}  // namespace

std::optional<double> parse_python_float(std::string_view utf8) {
  std::string text;
  if (!transform_to_ascii(utf8, text)) return std::nullopt;
  if (!remove_underscores(text)) return std::nullopt;
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && is_ascii_space(text[begin])) ++begin;
  if (begin == end) return std::nullopt;
  while (end - begin > 1 && is_ascii_space(text[end - 1])) --end;
  std::string_view literal(text.data() + begin, end - begin);

  if (is_decimal_literal(literal)) {
    // Correctly rounded, overflow to +-inf and underflow to +-0 as dtoa.c.
    return c_locale_strtod(std::string(literal));
  }
  bool negative = false;
  std::string_view word = literal;
  if (!word.empty() && (word[0] == '+' || word[0] == '-')) {
    negative = word[0] == '-';
    word.remove_prefix(1);
  }
  if (equals_ascii_lowercase(word, "inf") || equals_ascii_lowercase(word, "infinity")) {
    double inf = std::numeric_limits<double>::infinity();
    return negative ? -inf : inf;
  }
  if (equals_ascii_lowercase(word, "nan")) {
    // _Py_dg_stdnan(negate) keeps the sign bit.
    return std::copysign(std::numeric_limits<double>::quiet_NaN(), negative ? -1.0 : 1.0);
  }
  return std::nullopt;
}

bool equals_ascii_lowercase(std::string_view text, std::string_view lower) noexcept {
  if (text.size() != lower.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// CPython 3.11's PyLong_FromUnicodeObject(text, 10): the ASCII transform of
// int() / float(), then PyLong_FromString's grammar.
PythonInt parse_python_int(std::u32string_view text) {
  PythonInt result;
  std::string ascii;
  if (!transform_decimal_and_space_to_ascii(text, ascii)) return result;
  std::size_t i = 0;
  const std::size_t n = ascii.size();
  while (i < n && is_ascii_space(ascii[i])) ++i;
  bool negative = false;
  if (i < n && (ascii[i] == '+' || ascii[i] == '-')) {
    negative = ascii[i] == '-';
    ++i;
  }
  if (i < n && ascii[i] == '_') return result;
  std::size_t digits = 0;
  char prev = '\0';
  bool nonzero = false;
  std::uint64_t value = 0;
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  while (i < n && ((ascii[i] >= '0' && ascii[i] <= '9') || ascii[i] == '_')) {
    char c = ascii[i];
    if (c == '_') {
      if (prev == '_') return result;
    } else {
      ++digits;
      auto d = static_cast<std::uint64_t>(c - '0');
      if (d != 0) nonzero = true;
      value = (value > (kMax - d) / 10) ? kMax : value * 10 + d;
    }
    prev = c;
    ++i;
  }
  if (prev == '_') return result;
  if (digits == 0 || digits > kIntMaxStrDigits) return result;
  while (i < n && is_ascii_space(ascii[i])) ++i;
  if (i != n) return result;  // trailing junk or an embedded NUL
  result.valid = true;
  result.positive = nonzero && !negative;
  result.saturated = value;
  return result;
}

}  // namespace sky::core
