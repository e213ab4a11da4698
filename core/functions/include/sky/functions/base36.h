// base36_encode: SkyPilot's hex-digest-to-base-36 conversion, with the exact
// grammar of Python's int(x, 16) and unlimited precision.
//
// Deviation from SkyPilot (the only one): for a literal whose value is
// negative (such as "-ff") SkyPilot's Python never returns, because floor
// division keeps the value at -1 and its loop grows the string forever.
// sky-native rejects such a value instead (std::invalid_argument here; the
// module raises ValueError("base36_encode() does not accept a negative
// value: '-ff'")). "-0" is zero, not negative, and gives "0" as in Python.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sky::core {

/// The value of an int(x, 16) literal: sign and magnitude.
struct HexLiteral {
  bool negative = false;
  /// Little-endian 32-bit limbs without leading zero limbs; empty for 0.
  std::vector<std::uint32_t> magnitude;

  bool is_zero() const noexcept { return magnitude.empty(); }
};

/// Parses `length` code points at `text` (one code point per code unit:
/// Latin-1, UCS-2 or UCS-4, as CPython stores a str) exactly as Python's
/// int(text, 16) does: surrounding whitespace (ASCII whitespace other than
/// \x1c-\x1f, and any Unicode whitespace), an optional '+' or '-', an
/// optional 0x / 0X prefix that may be followed by one '_', hex digits in
/// either case with single '_' between digits, and Unicode decimal digits
/// for 0-9 (also inside the prefix: fullwidth zero + 'x' is a prefix).
/// Returns nullopt exactly where int() raises ValueError. Never throws
/// except std::bad_alloc.
template <typename CodeUnit>
std::optional<HexLiteral> parse_hex_literal(const CodeUnit* text, std::size_t length);

extern template std::optional<HexLiteral> parse_hex_literal(const std::uint8_t*, std::size_t);
extern template std::optional<HexLiteral> parse_hex_literal(const std::uint16_t*, std::size_t);
extern template std::optional<HexLiteral> parse_hex_literal(const std::uint32_t*, std::size_t);
extern template std::optional<HexLiteral> parse_hex_literal(const char32_t*, std::size_t);

/// parse_hex_literal over code points.
inline std::optional<HexLiteral> parse_hex_literal(std::u32string_view text) {
  return parse_hex_literal(text.data(), text.size());
}

/// The magnitude written in base 36 with digits 0-9a-z, most significant
/// first, without leading zeros ("0" for an empty magnitude).
std::string to_base36(const std::vector<std::uint32_t>& magnitude);

}  // namespace sky::core
