// Python's float() and int() grammars, for the environment overrides of
// get_cpu_count and get_mem_size_gb and the cgroup files they read, and the
// two ASCII character rules the parsers share with the rest of the core.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sky::core {

/// CPython's Py_ISSPACE (what int(), float() and bytes.split() skip): the
/// six ASCII whitespace characters only.
constexpr bool is_ascii_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/// True when `text` lower-cased in ASCII equals `lower` (which is lower
/// case already). Only for ASCII rules: Python's str.lower() maps some
/// non-ASCII letters (KELVIN SIGN) to ASCII ones.
bool equals_ascii_lowercase(std::string_view text, std::string_view lower) noexcept;

/// What int(text) (base 10) of a str gives, reduced to what SkyPilot looks
/// at: whether it parses, whether it is positive, and its magnitude
/// saturated at UINT64_MAX.
struct PythonInt {
  bool valid = false;
  bool positive = false;
  std::uint64_t saturated = 0;
};

/// CPython 3.11's int(text) on code points: the ASCII transform of int() /
/// float(), then PyLong_FromString's grammar (sign, '_' between digits,
/// surrounding whitespace, at most sys.get_int_max_str_digits() digits).
PythonInt parse_python_int(std::u32string_view text);

/// Parses `utf8` exactly as Python's float(str) does: surrounding Unicode
/// whitespace, an optional sign, Unicode decimal digits, single '_' between
/// digits, a fraction and an exponent, and inf / infinity / nan in any case;
/// no hex and no "nan(...)". Returns nullopt where float() raises
/// ValueError (including invalid UTF-8).
std::optional<double> parse_python_float(std::string_view utf8);

}  // namespace sky::core
