// The int(x, 16) parser and the base-36 writer on arbitrary code points:
// never crashes, and a parsed value writes out as base-36 digits only.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sky/functions/base36.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // As Latin-1 (one byte a code point) and as UCS-4 (four bytes each).
  auto latin1 = sky::core::parse_hex_literal(data, size);
  std::vector<std::uint32_t> wide(size / 4);
  for (std::size_t i = 0; i < wide.size(); ++i) {
    wide[i] = (static_cast<std::uint32_t>(data[4 * i]) |
               static_cast<std::uint32_t>(data[4 * i + 1]) << 8 |
               static_cast<std::uint32_t>(data[4 * i + 2]) << 16) %
              0x110000;
  }
  auto ucs4 = sky::core::parse_hex_literal(wide.data(), wide.size());
  for (const auto& literal : {latin1, ucs4}) {
    if (!literal) continue;
    std::string digits = sky::core::to_base36(literal->magnitude);
    if (digits.empty()) __builtin_trap();
    for (char c : digits) {
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) __builtin_trap();
    }
    if (digits.size() > 1 && digits[0] == '0') __builtin_trap();
  }
  return 0;
}
