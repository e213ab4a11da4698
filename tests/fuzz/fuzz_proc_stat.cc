// The /proc/<pid>/stat state parser on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sky/functions/process.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view stat(reinterpret_cast<const char*>(data), size);
  auto state = sky::core::proc_stat_state(stat);
  if (state && state->empty()) __builtin_trap();
  return 0;
}
