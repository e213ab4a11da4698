// Python's float(str), following CPython 3.11's PyFloat_FromString:
// _PyUnicode_TransformDecimalAndSpaceToASCII, then
// _Py_string_to_number_with_underscores, then float_from_string_inner
// (ASCII whitespace strip, _Py_dg_strtod or _Py_parse_inf_or_nan).
#include "sky/core/python_float.h"

#include <locale.h>
#include <stdlib.h>

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>

#include "sky/core/unicode.h"

namespace sky::core {
namespace {

// CPython's Py_ISSPACE: only the six ASCII whitespace characters.
bool py_isspace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool matches_ignoring_case(std::string_view text, std::string_view word) {
  if (text.size() != word.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (lower(text[i]) != word[i]) return false;
  }
  return true;
}

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
  while (begin < end && py_isspace(text[begin])) ++begin;
  if (begin == end) return std::nullopt;
  while (end - begin > 1 && py_isspace(text[end - 1])) --end;
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
  if (matches_ignoring_case(word, "inf") || matches_ignoring_case(word, "infinity")) {
    double inf = std::numeric_limits<double>::infinity();
    return negative ? -inf : inf;
  }
  if (matches_ignoring_case(word, "nan")) {
    // _Py_dg_stdnan(negate) keeps the sign bit.
    return std::copysign(std::numeric_limits<double>::quiet_NaN(), negative ? -1.0 : 1.0);
  }
  return std::nullopt;
}

}  // namespace sky::core
