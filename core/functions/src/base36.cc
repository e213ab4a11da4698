// int(x, 16) parsing and base-36 conversion on 32-bit limbs.
#include "sky/functions/base36.h"

#include <algorithm>
#include <stdexcept>

#include "sky/functions/python_float.h"
#include "sky/functions/unicode.h"

namespace sky::core {
namespace {

// CPython first maps every non-ASCII code point to ASCII
// (_PyUnicode_TransformDecimalAndSpaceToASCII): whitespace -> ' ', a decimal
// digit -> '0'-'9', anything else -> an invalid character; ASCII stays. The
// grammar then runs on the mapped characters, so we do the same.
constexpr char kInvalid = '\x7f';

template <typename CodeUnit>
char to_ascii(CodeUnit unit) noexcept {
  char32_t code_point = static_cast<char32_t>(unit);
  if (code_point < 128) return static_cast<char>(code_point);
  if (unicode_is_space(code_point)) return ' ';
  int digit = unicode_decimal_value(code_point);
  if (digit >= 0) return static_cast<char>('0' + digit);
  return kInvalid;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Packs hex digits (most significant first) into little-endian limbs.
std::vector<std::uint32_t> pack_limbs(const std::vector<std::uint8_t>& digits) {
  auto first =
      std::find_if(digits.begin(), digits.end(), [](std::uint8_t digit) { return digit != 0; });
  std::size_t significant = static_cast<std::size_t>(digits.end() - first);
  std::vector<std::uint32_t> limbs((significant + 7) / 8, 0);
  for (std::size_t k = 0; k < significant; ++k) {
    std::uint32_t digit = digits[digits.size() - 1 - k];
    limbs[k / 8] |= digit << (4 * (k % 8));
  }
  return limbs;
}

}  // namespace

template <typename CodeUnit>
std::optional<HexLiteral> parse_hex_literal(const CodeUnit* text, std::size_t length) {
  // Mirrors PyLong_FromString for base 16 (CPython 3.11).
  std::size_t pos = 0;
  auto at = [&](std::size_t index) -> char {
    return index < length ? to_ascii(text[index]) : '\0';
  };
  while (pos < length && is_ascii_space(at(pos))) ++pos;
  HexLiteral literal;
  if (at(pos) == '+') {
    ++pos;
  } else if (at(pos) == '-') {
    literal.negative = true;
    ++pos;
  }
  if (at(pos) == '0' && (at(pos + 1) == 'x' || at(pos + 1) == 'X')) {
    pos += 2;
    if (at(pos) == '_') ++pos;  // one underscore may follow the prefix
  }
  if (at(pos) == '_') return std::nullopt;
  std::vector<std::uint8_t> digits;
  digits.reserve(length - pos);  // at most one digit per code unit left
  char previous = '\0';
  for (; pos < length; ++pos) {
    char c = at(pos);
    if (c == '_') {
      if (previous == '_') return std::nullopt;
    } else {
      int value = hex_value(c);
      if (value < 0) break;
      digits.push_back(static_cast<std::uint8_t>(value));
    }
    previous = c;
  }
  if (previous == '_' || digits.empty()) return std::nullopt;
  while (pos < length && is_ascii_space(at(pos))) ++pos;
  if (pos != length) return std::nullopt;  // includes an embedded NUL
  literal.magnitude = pack_limbs(digits);
  return literal;
}

template std::optional<HexLiteral> parse_hex_literal(const std::uint8_t*, std::size_t);
template std::optional<HexLiteral> parse_hex_literal(const std::uint16_t*, std::size_t);
template std::optional<HexLiteral> parse_hex_literal(const std::uint32_t*, std::size_t);
template std::optional<HexLiteral> parse_hex_literal(const char32_t*, std::size_t);

std::string to_base36(const std::vector<std::uint32_t>& magnitude) {
  static constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  // Divide by 36^6 (fits in 32 bits) to get six base-36 digits per pass.
  constexpr std::uint64_t kChunk = 36ULL * 36 * 36 * 36 * 36 * 36;
  constexpr int kChunkDigits = 6;
  if (magnitude.empty()) return "0";
  std::vector<std::uint32_t> limbs = magnitude;
  std::string reversed;
  // 32 bits give at most 6.19 base-36 digits.
  reversed.reserve(limbs.size() * 7 + kChunkDigits);
  while (!limbs.empty()) {
    std::uint64_t remainder = 0;
    for (std::size_t i = limbs.size(); i-- > 0;) {
      std::uint64_t current = (remainder << 32) | limbs[i];
      limbs[i] = static_cast<std::uint32_t>(current / kChunk);
      remainder = current % kChunk;
    }
    while (!limbs.empty() && limbs.back() == 0) limbs.pop_back();
    // Pad inner chunks to six digits; the most significant chunk has none.
    for (int k = 0; k < kChunkDigits && (remainder != 0 || !limbs.empty()); ++k) {
      reversed.push_back(kAlphabet[remainder % 36]);
      remainder /= 36;
    }
  }
  return std::string(reversed.rbegin(), reversed.rend());
}

}  // namespace sky::core
