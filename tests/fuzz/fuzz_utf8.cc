// Strict UTF-8: whatever decodes re-encodes to the same bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sky/functions/unicode.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::u32string decoded;
  if (sky::core::decode_utf8(bytes, decoded) && sky::core::encode_utf8(decoded) != bytes) {
    __builtin_trap();
  }
  return 0;
}
