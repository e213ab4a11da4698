#include "sky/functions/text.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>

using namespace sky::core;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr std::ptrdiff_t kMin = std::numeric_limits<std::ptrdiff_t>::min();
constexpr std::ptrdiff_t kMax = std::numeric_limits<std::ptrdiff_t>::max();

std::string printf_fixed(double num, int precision) {
  char buffer[1400];
  int length = std::snprintf(buffer, sizeof(buffer), "%.*f", precision, num);
  return std::string(buffer, static_cast<std::size_t>(length));
}

// The string plan_truncation describes, as sky_native builds it.
std::u32string truncate_long_string(std::u32string_view s, std::ptrdiff_t max_length = 35,
                                    bool truncate_middle = false) {
  Truncation plan = plan_truncation(s.data(), s.size(), max_length, truncate_middle);
  if (!plan.truncated) return std::u32string(s);
  return std::u32string(s.substr(0, plan.head)) + U"..." +
         std::u32string(s.substr(s.size() - plan.tail));
}

std::u32string end(std::u32string_view s, std::ptrdiff_t max_length) {
  return truncate_long_string(s, max_length, false);
}

std::u32string middle(std::u32string_view s, std::ptrdiff_t max_length) {
  return truncate_long_string(s, max_length, true);
}

}  // namespace

TEST_CASE("format_float test vectors of the spec", "[text]") {
  CHECK(format_float(2.0) == "2");
  CHECK(format_float(2.5) == "2.5");
  CHECK(format_float(2.25, 1) == "2.2");
  CHECK(format_float(2.35, 1) == "2.4");
  CHECK(format_float(0.05, 1) == "0.1");
  CHECK(format_float(2.675, 2) == "2.67");
  CHECK(format_float(1.5, 0) == "2");
  CHECK(format_float(2.5, 0) == "2");
  CHECK(format_float(1.96, 1) == "2.0");
  CHECK(format_float(-0.0) == "-0");
  CHECK(format_float(1e22) == "10000000000000000000000");
  CHECK(format_float(kInf) == "inf");
  CHECK(format_float(-kInf) == "-inf");
  CHECK(format_float(kNan) == "nan");
  CHECK(format_float(-kNan) == "nan");  // Python never prints "-nan"
  CHECK(format_float(2.5e-7, 1) == "0.0");
  CHECK(format_float(1234.5, 1) == "1234.5");
}

TEST_CASE("format_float edge cases", "[text]") {
  // Whole values ignore precision, even a negative one.
  CHECK(format_float(3.0, -1) == "3");
  CHECK(format_float(3.0, 100000) == "3");
  CHECK(format_float(-1.5, 0) == "-2");
  CHECK(format_float(-0.5, 0) == "-0");
  CHECK(format_float(0.5, 0) == "0");
  CHECK(format_float(-0.04, 1) == "-0.0");
  CHECK(format_float(0.125, 2) == "0.12");  // exact tie to even
  CHECK(format_float(0.375, 2) == "0.38");
  CHECK(format_float(1000000000000000.2, 3) == "1000000000000000.250");
  CHECK(format_float(123.456, 20) == "123.45600000000000306954");
  CHECK(format_float(5e-324, 20) == "0.00000000000000000000");
  CHECK(format_float(4503599627370496.0) == "4503599627370496");
  std::string largest = format_float(std::numeric_limits<double>::max());
  CHECK(largest.size() == 309);
  CHECK(largest.rfind("17976931348623157", 0) == 0);
  CHECK(format_float(-1e308) ==
        "-1000000000000000010979063629440455417404923096773118463368106829031575854049114915"
        "3716332897849468889906124966972117251561159028374314008832830700919814604603127166"
        "4502933027185697489699588559043338384466165001178426897626212945177628091195786707"
        "458122783970171784415105291802893207873272974885715430223118336");
  CHECK(format_float(0.1, kMaxFormatPrecision).size() == 2 + kMaxFormatPrecision);
  CHECK_THROWS_WITH(format_float(2.5, -1), "Format specifier missing precision");
  CHECK_THROWS_AS(format_float(2.5, kMaxFormatPrecision + 1), std::invalid_argument);
}

TEST_CASE("format_float agrees with glibc's correctly rounded %.*f", "[text]") {
  std::mt19937_64 random(20240601);
  for (int i = 0; i < 20000; ++i) {
    std::uint64_t bits = random();
    double num = 0;
    std::memcpy(&num, &bits, sizeof(num));
    if (!std::isfinite(num)) continue;
    int precision = static_cast<int>(random() % 21);
    std::string expected =
        std::floor(num) == num ? printf_fixed(num, 0) : printf_fixed(num, precision);
    REQUIRE(format_float(num, precision) == expected);
  }
  // Short decimals, where ties and near-ties live.
  for (int i = 0; i < 20000; ++i) {
    double num = static_cast<double>(static_cast<std::int64_t>(random() % 2000001) - 1000000) /
                 std::pow(10.0, static_cast<double>(random() % 6));
    int precision = static_cast<int>(random() % 6);
    std::string expected =
        std::floor(num) == num ? printf_fixed(num, 0) : printf_fixed(num, precision);
    REQUIRE(format_float(num, precision) == expected);
  }
}

TEST_CASE("truncate_long_string end-mode test vectors of the spec", "[text]") {
  CHECK(end(U"this is a very long string that needs truncation", 20) == U"this is a very long ...");
  CHECK(end(U"aa bb cc dd", 5) == U"aa bb...");
  CHECK(end(U"a b c d e f g h", 10) == U"a b c d e f g...");
  CHECK(end(U"one two three four five six", 12) == U"one two three...");
  CHECK(end(U"sky launch -c mycluster --gpus A100:8 task.yaml", 35) ==
        U"sky launch -c mycluster --gpus A100:8...");
  CHECK(end(U"abcdefghijkl mn", 5) == U"abcde...");
  CHECK(end(U"hello world", 0) == U"...");
  CHECK(end(U"x  y  z long words here", 6) == U"x  y  z...");
  CHECK(end(U"", 10) == U"");
  CHECK(truncate_long_string(U"sky launch -c mycluster --gpus A100:8 task.yaml") ==
        U"sky launch -c mycluster --gpus A100:8...");  // default max_length 35
}

TEST_CASE("truncate_long_string middle-mode test vectors of the spec", "[text]") {
  const std::u32string zone = U"us-west-2-availability-zone-1";
  CHECK(middle(zone, 20) == U"us-west-2...y-zone-1");
  CHECK(middle(zone, 15) == U"us-wes...zone-1");
  CHECK(middle(zone, 3) == U"...");
  CHECK(middle(U"abcde", 4) == U"a...");
  CHECK(middle(U"abcdef", 5) == U"a...f");
  CHECK(middle(U"abcdefghijklmnopqrstuvwxyz", 10) == U"abcd...xyz");
  CHECK(middle(U"abcdefghijklmnopqrstuvwxyz", 11) == U"abcd...wxyz");
  CHECK(middle(U"abcde", 5) == U"abcde");
  CHECK(middle(U"aaaaaaaaaa", 9) == U"aaa...aaa");
  CHECK(middle(U"abcdefg", 5) == U"a...g");
}

TEST_CASE("truncate_long_string negative and extreme max_length", "[text]") {
  CHECK(end(U"hello", -2) == U"hel...");
  CHECK(end(U"hello world", -3) == U"he...");
  CHECK(end(U"ab cd", -100) == U"...");
  CHECK(end(U"", -1) == U"...");
  CHECK(end(U"", 0) == U"");
  CHECK(middle(U"", -1) == U"...");
  CHECK(middle(U"hello world", -1) == U"...");
  CHECK(end(U"abc def", kMax) == U"abc def");
  CHECK(end(U"abc def", kMin) == U"...");
  CHECK(middle(U"abc def", kMin) == U"...");
}

TEST_CASE("truncate_long_string spaces and words", "[text]") {
  CHECK(end(U" abc def", 0) == U"...");
  CHECK(end(U" abc def", 2) == U" a...");
  CHECK(end(U"abc  ", 3) == U"abc...");
  CHECK(end(U"abc def ghi", 8) == U"abc def ...");
  CHECK(end(U"abc def ghi", 7) == U"abc def...");
  CHECK(end(U"abc def ghi", 6) == U"abc de...");
  // Only ' ' splits words: a tab or a no-break space does not.
  CHECK(end(U"abc\tdef ghi", 5) == U"abc\td...");
  CHECK(end(U"abc\u00a0def ghi", 5) == U"abc\u00a0d...");
  // Longer than max_length + 3: the total leaves the spaces out.
  std::u32string long_result = end(U"a b c d e f g h", 10);
  CHECK(long_result.size() == 16);
}

TEST_CASE("truncate_long_string counts code points", "[text]") {
  CHECK(end(U"a\u00e9\u20ac\U0001f600 bcd efg", 5) == U"a\u00e9\u20ac\U0001f600 ...");
  CHECK(middle(U"\u00e9\u20ac\U0001f600x", 2) == U"...");
  CHECK(middle(U"\u00e9\u20ac\U0001f600xyz\u00e9", 6) == U"\u00e9\u20ac...\u00e9");
}

TEST_CASE("plan_truncation reads every CPython code unit width", "[text]") {
  const std::uint8_t latin1[] = {'a', 'b', ' ', 'c', 'd', 0xe9};
  const std::uint16_t ucs2[] = {0x20ac, ' ', 'x', 'y', 'z'};
  const std::uint32_t ucs4[] = {0x1f600, 0x1f601, 0x1f602, 0x1f603, 0x1f604, 0x1f605};
  Truncation plan = plan_truncation(latin1, 6, 4, false);
  CHECK(plan.truncated);
  CHECK(plan.head == 4);
  CHECK(plan.tail == 0);
  plan = plan_truncation(ucs2, 5, 2, false);
  CHECK(plan.head == 2);
  plan = plan_truncation(ucs4, 6, 5, true);
  CHECK(plan.head == 1);
  CHECK(plan.tail == 1);
  CHECK_FALSE(plan_truncation(ucs4, 6, 6, true).truncated);
}
