// truncate_long_string's index plan on arbitrary text and lengths: the
// slices always lie inside the text.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "sky/functions/text.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 9) return 0;
  std::int64_t raw_length;
  std::memcpy(&raw_length, data, sizeof(raw_length));
  // Mostly small lengths (the interesting cases), sometimes extreme ones.
  std::ptrdiff_t max_length = (data[8] & 1) ? static_cast<std::ptrdiff_t>(raw_length)
                                            : static_cast<std::ptrdiff_t>(raw_length % 64);
  bool middle = (data[8] & 2) != 0;
  const std::uint8_t* text = data + 9;
  std::size_t length = size - 9;
  auto plan = sky::core::plan_truncation(text, length, max_length, middle);
  if (plan.truncated && (plan.head > length || plan.tail > length)) __builtin_trap();
  if (!plan.truncated && static_cast<std::ptrdiff_t>(length) > max_length) __builtin_trap();
  return 0;
}
