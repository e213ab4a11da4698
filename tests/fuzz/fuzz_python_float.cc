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
  if (first && std::memcmp(&*first, &*second, sizeof(double)) != 0) __builtin_trap();
  return 0;
}
