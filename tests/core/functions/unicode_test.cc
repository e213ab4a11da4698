#include "sky/functions/unicode.h"

#include <catch2/catch.hpp>

using namespace sky::core;

TEST_CASE("decimal digits of every script", "[unicode]") {
  CHECK(unicode_decimal_value(U'0') == 0);
  CHECK(unicode_decimal_value(U'9') == 9);
  CHECK(unicode_decimal_value(U'a') == -1);
  CHECK(unicode_decimal_value(0x0663) == 3);   // ARABIC-INDIC DIGIT THREE
  CHECK(unicode_decimal_value(0xFF19) == 9);   // FULLWIDTH DIGIT NINE
  CHECK(unicode_decimal_value(0x1FBF0) == 0);  // SEGMENTED DIGIT ZERO
  CHECK(unicode_decimal_value(0x1FBFA) == -1);
  CHECK(unicode_decimal_value(0x2F) == -1);
  CHECK(unicode_decimal_value(0xB2) == -1);  // SUPERSCRIPT TWO is not decimal
}

TEST_CASE("whitespace as str.isspace", "[unicode]") {
  for (char32_t c : {U' ', U'\t', U'\n', U'\v', U'\f', U'\r', char32_t{0x1C}, char32_t{0x85},
                     char32_t{0xA0}, char32_t{0x3000}}) {
    CHECK(unicode_is_space(c));
  }
  CHECK_FALSE(unicode_is_space(U'x'));
  CHECK_FALSE(unicode_is_space(0x200B));  // ZERO WIDTH SPACE is not
}

TEST_CASE("strict UTF-8 round trip", "[unicode]") {
  std::u32string decoded;
  REQUIRE(decode_utf8("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", decoded));
  CHECK(decoded == U"a\u00e9\u20ac\U0001F600");
  CHECK(encode_utf8(decoded) == "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  CHECK_FALSE(decode_utf8("\xff", decoded));
  CHECK_FALSE(decode_utf8("\xed\xa0\x80", decoded));  // a surrogate
  CHECK_FALSE(decode_utf8("\xc0\xaf", decoded));      // overlong
  CHECK_FALSE(decode_utf8("\xe2\x82", decoded));      // truncated
}

TEST_CASE("int()/float()'s transform to ASCII", "[unicode]") {
  std::string ascii;
  REQUIRE(transform_decimal_and_space_to_ascii(U"\u00a0\u0663.5e+1\u3000", ascii));
  CHECK(ascii == " 3.5e+1 ");
  CHECK_FALSE(transform_decimal_and_space_to_ascii(U"1\u00b2", ascii));  // superscript
  CHECK_FALSE(transform_decimal_and_space_to_ascii(U"\x7f", ascii));     // DEL becomes '?'
}

namespace {

// A stand-in interpreter database that counts its calls. Its only digit is
// U+11F55 (KAWI DIGIT FIVE, Unicode 15: decimal from CPython 3.12 on), so
// U+16AC3 (TANGSA DIGIT THREE, Unicode 14) is not one, as on 3.9/3.10; its
// only space is U+2028.
int lookups = 0;
int fake_decimal(char32_t code_point) noexcept {
  ++lookups;
  return code_point == 0x11F55 ? 5 : -1;
}
bool fake_space(char32_t code_point) noexcept {
  ++lookups;
  return code_point == 0x2028;
}

// Installs the fake tables for one test case; the built-in ones after.
struct FakeTables {
  FakeTables() {
    lookups = 0;
    set_unicode_tables({fake_decimal, fake_space});
  }
  ~FakeTables() { set_unicode_tables(builtin_unicode_tables()); }
};

}  // namespace

TEST_CASE("replaced tables answer for non-ASCII only", "[unicode]") {
  REQUIRE(unicode_decimal_value(0x16AC3) == 3);  // the built-in Unicode 14
  REQUIRE(unicode_decimal_value(0x11F55) == -1);
  {
    FakeTables fake;
    std::string ascii;
    CHECK(transform_decimal_and_space_to_ascii(U"\u2028 12.5e3\t\x1c", ascii));
    CHECK(ascii == "  12.5e3\t\x1c");
    CHECK(lookups == 1);  // U+2028 alone
    CHECK(unicode_decimal_value(U'7') == 7);
    CHECK(unicode_is_space(U' '));
    CHECK(unicode_is_space(0x1F));
    CHECK_FALSE(unicode_is_space(U'x'));
    CHECK_FALSE(unicode_decimal_value(0x7F) >= 0);
    CHECK(lookups == 1);
    CHECK(unicode_decimal_value(0x11F55) == 5);
    CHECK(unicode_decimal_value(0x16AC3) == -1);
    CHECK_FALSE(unicode_is_space(0x3000));
    CHECK(lookups == 4);
  }
  CHECK(unicode_decimal_value(0x16AC3) == 3);
  CHECK(unicode_is_space(0x3000));
}
