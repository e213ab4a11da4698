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
