#include "sky/functions/unicode.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <iterator>

namespace sky::core {
namespace {

// The zero of every run of ten decimal digits (each run is 0..9 in order).
constexpr std::array<char32_t, 66> kDecimalZeros = {
    0x30,    0x660,   0x6f0,   0x7c0,   0x966,   0x9e6,   0xa66,   0xae6,   0xb66,   0xbe6,
    0xc66,   0xce6,   0xd66,   0xde6,   0xe50,   0xed0,   0xf20,   0x1040,  0x1090,  0x17e0,
    0x1810,  0x1946,  0x19d0,  0x1a80,  0x1a90,  0x1b50,  0x1bb0,  0x1c40,  0x1c50,  0xa620,
    0xa8d0,  0xa900,  0xa9d0,  0xa9f0,  0xaa50,  0xabf0,  0xff10,  0x104a0, 0x10d30, 0x11066,
    0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650, 0x116c0, 0x11730, 0x118e0,
    0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0, 0x16b50, 0x1d7ce, 0x1d7d8, 0x1d7e2,
    0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0};

constexpr std::array<char32_t, 29> kSpaces = {
    0x9,    0xa,    0xb,    0xc,    0xd,    0x1c,   0x1d,   0x1e,   0x1f,   0x20,
    0x85,   0xa0,   0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
    0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000};

int builtin_decimal_value(char32_t code_point) noexcept {
  if (code_point >= U'0' && code_point <= U'9') return code_point - U'0';
  auto run = std::upper_bound(kDecimalZeros.begin(), kDecimalZeros.end(), code_point);
  if (run == kDecimalZeros.begin()) return -1;
  char32_t zero = *std::prev(run);
  return code_point - zero < 10 ? static_cast<int>(code_point - zero) : -1;
}

bool builtin_is_space(char32_t code_point) noexcept {
  return std::binary_search(kSpaces.begin(), kSpaces.end(), code_point);
}

// The installed lookups (set_unicode_tables); relaxed loads cost no more
// than plain ones.
using DecimalLookup = int (*)(char32_t) noexcept;
using SpaceLookup = bool (*)(char32_t) noexcept;
std::atomic<DecimalLookup> decimal_lookup{builtin_decimal_value};
std::atomic<SpaceLookup> space_lookup{builtin_is_space};

}  // namespace

UnicodeTables builtin_unicode_tables() noexcept {
  return {builtin_decimal_value, builtin_is_space};
}

void set_unicode_tables(UnicodeTables tables) noexcept {
  decimal_lookup.store(tables.decimal_value, std::memory_order_relaxed);
  space_lookup.store(tables.is_space, std::memory_order_relaxed);
}

int unicode_decimal_value(char32_t code_point) noexcept {
  if (code_point < 128) {
    return code_point >= U'0' && code_point <= U'9' ? static_cast<int>(code_point - U'0') : -1;
  }
  return decimal_lookup.load(std::memory_order_relaxed)(code_point);
}

bool unicode_is_space(char32_t code_point) noexcept {
  // ASCII whitespace: \t\n\v\f\r, the separators 0x1C-0x1F and ' '.
  if (code_point < 128) {
    return (code_point >= 0x9 && code_point <= 0xD) || (code_point >= 0x1C && code_point <= 0x20);
  }
  return space_lookup.load(std::memory_order_relaxed)(code_point);
}

bool transform_decimal_and_space_to_ascii(std::u32string_view text, std::string& ascii) {
  ascii.clear();
  ascii.reserve(text.size());
  for (char32_t cp : text) {
    if (cp < 127) {
      ascii.push_back(static_cast<char>(cp));
    } else if (unicode_is_space(cp)) {
      ascii.push_back(' ');
    } else {
      int digit = unicode_decimal_value(cp);
      if (digit < 0) return false;
      ascii.push_back(static_cast<char>('0' + digit));
    }
  }
  return true;
}

bool decode_utf8(std::string_view utf8, std::u32string& out) {
  out.clear();
  out.reserve(utf8.size());
  const auto* p = reinterpret_cast<const unsigned char*>(utf8.data());
  const auto* end = p + utf8.size();
  while (p < end) {
    unsigned char lead = *p;
    if (lead < 0x80) {
      out.push_back(lead);
      ++p;
      continue;
    }
    int length;
    char32_t value;
    char32_t minimum;
    if ((lead & 0xE0) == 0xC0) {
      length = 2, value = lead & 0x1F, minimum = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3, value = lead & 0x0F, minimum = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4, value = lead & 0x07, minimum = 0x10000;
    } else {
      return false;
    }
    if (end - p < length) return false;
    for (int i = 1; i < length; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      value = (value << 6) | (p[i] & 0x3F);
    }
    if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
      return false;
    }
    out.push_back(value);
    p += length;
  }
  return true;
}

std::string encode_utf8(std::u32string_view code_points) {
  std::string out;
  out.reserve(code_points.size());
  for (char32_t c : code_points) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (c >> 18)));
      out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

}  // namespace sky::core
