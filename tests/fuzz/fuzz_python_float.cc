// parse_python_float on arbitrary bytes: never crashes; a result is a
// double and parsing is deterministic.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "sky/core/python_float.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto first = sky::core::parse_python_float(text);
  auto second = sky::core::parse_python_float(text);
  if (first.has_value() != second.has_value()) __builtin_trap();
  // Bit for bit: the sign of a zero and a NaN's payload count too.
  std::uint64_t first_bits = 0, second_bits = 0;
  if (first) std::memcpy(&first_bits, &*first, sizeof(double));
  if (second) std::memcpy(&second_bits, &*second, sizeof(double));
  if (first_bits != second_bits) __builtin_trap();
  return 0;
}
