// Python's float() grammar, for the environment overrides of get_cpu_count
// and get_mem_size_gb.
#pragma once

#include <optional>
#include <string_view>

namespace sky::core {

/// Parses `utf8` exactly as Python's float(str) does: surrounding Unicode
/// whitespace, an optional sign, Unicode decimal digits, single '_' between
/// digits, a fraction and an exponent, and inf / infinity / nan in any case;
/// no hex and no "nan(...)". Returns nullopt where float() raises
/// ValueError (including invalid UTF-8).
std::optional<double> parse_python_float(std::string_view utf8);

}  // namespace sky::core
