#include "sky/functions/base36.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace sky::core;

namespace {

bool valid(std::u32string_view text) { return parse_hex_literal(text).has_value(); }

// What sky_native.base36_encode makes of the two core steps: int()'s
// grammar, then base 36; a negative value is refused (core/base36.h).
std::string base36_encode(std::u32string_view hex_str) {
  std::optional<HexLiteral> literal = parse_hex_literal(hex_str);
  if (!literal) throw std::invalid_argument("invalid literal for int() with base 16");
  if (literal->negative && !literal->is_zero()) {
    throw std::invalid_argument("base36_encode() does not accept a negative value");
  }
  return to_base36(literal->magnitude);
}

}  // namespace

TEST_CASE("base36_encode test vectors of the spec", "[base36]") {
  CHECK(base36_encode(U"ff") == "73");
  CHECK(base36_encode(U"0x10") == "g");
  CHECK(base36_encode(U"100") == "74");
  CHECK(base36_encode(U"0") == "0");
  CHECK(base36_encode(U"000f") == "f");
  CHECK(base36_encode(U"d41d8cd98f00b204e9800998ecf8427e") == "ck2u8j60r58fu0sgyxrigm3cu");
  // md5('Cuda_11.8'): where SkyPilot's 'cud-73-ab12cd34' comes from.
  CHECK(base36_encode(U"77fe611e20f1bd65209f766f67abc3c1") == "73qoaddned4hf8r951m65curl");
  for (std::u32string_view same : {U"FF", U" ff\n", U"f_f", U"+ff", U"0XfF", U"0x_ff"}) {
    CHECK(base36_encode(same) == "73");
  }
}

TEST_CASE("base36_encode across chunk and limb boundaries", "[base36]") {
  CHECK(base36_encode(U"ffffffff") == "1z141z3");
  CHECK(base36_encode(U"100000000") == "1z141z4");
  CHECK(base36_encode(U"0x81bf1000") == "1000000");  // 36^6
  CHECK(base36_encode(U"81bf0fff") == "zzzzzz");
  CHECK(base36_encode(U"1" + std::u32string(64, U'0')) ==
        "6dp5qcb22im238nr3wvp0ic7q99w035jmy2iw7i6n43d37jtog");
  CHECK(base36_encode(std::u32string(100, U'f')) ==
        "3ru0qzanq4w5xshylxxcosvqancyh84b3wco16ewbvj0isebf1ygthegd4gzxwqqdfn7nvynwgx0cf");
  std::u32string repeated;
  for (int i = 0; i < 20; ++i) repeated += U"123456789abcdef0";
  CHECK(base36_encode(repeated) ==
        "kw033yjx4hupp05od37gqoubf7j38wr7nxk6lk9kjkpf4baca8fjsdhodiigycvufw9taplxtj1fr9kqu6cwu1"
        "ob17l61jg8j7bagb7me2yh44wks1306pxfhhvo7lur2jw4ib5rxcbdqzvjrgjo6we231qwygncaf2z3ckqsdf"
        "mvgy5q5tv7485vrqkg6jz4bfn7g6elsjt9rmq3xpjnvch9fz6n3olc2hgxjpk8xhcqyeniet5blc");
  // Leading zeros do not change the value, however many there are.
  CHECK(base36_encode(std::u32string(1000, U'0') + U"ff") == "73");
  CHECK(base36_encode(std::u32string(1000, U'0')) == "0");
}

TEST_CASE("base36_encode of a long input has no length limit", "[base36]") {
  // 16^20000 = 2^80000 needs 2501 limbs; 36^50 converts to 1 and 50 zeros.
  std::optional<HexLiteral> literal = parse_hex_literal(U"1" + std::u32string(20000, U'0'));
  REQUIRE(literal);
  CHECK(literal->magnitude.size() == 2501);
  CHECK(literal->magnitude.back() == 1);
  // 36^50 in hex, from Python.
  CHECK(base36_encode(U"0x5a4653ca673768565b41f775d6947d55cf3813d10000000000000000000000000") ==
        "1" + std::string(50, '0'));
}

TEST_CASE("parse_hex_literal follows int(x, 16) on signs and prefixes", "[base36]") {
  std::optional<HexLiteral> literal = parse_hex_literal(U"-ff");
  REQUIRE(literal);
  CHECK(literal->negative);
  CHECK(literal->magnitude == std::vector<std::uint32_t>{0xff});
  literal = parse_hex_literal(U"-0");
  REQUIRE(literal);
  CHECK(literal->is_zero());
  CHECK(base36_encode(U"-0") == "0");  // zero is not negative
  CHECK(base36_encode(U"-0x0") == "0");
  CHECK(base36_encode(U"+0x_1_0") == "g");
  CHECK_FALSE(valid(U"+-ff"));
  CHECK_FALSE(valid(U"--ff"));
  CHECK_FALSE(valid(U"- ff"));
  CHECK_FALSE(valid(U"0x"));
  CHECK_FALSE(valid(U"0X"));
  CHECK_FALSE(valid(U"0xx1"));
  CHECK_FALSE(valid(U"x1"));
  CHECK_FALSE(valid(U"-"));
  CHECK_FALSE(valid(U"+"));
  CHECK(valid(U"0"));
  CHECK(valid(U"00"));
  CHECK_FALSE(valid(U"00x1"));  // the prefix is only "0x" at the start
  CHECK(valid(U"0xf"));
  CHECK_FALSE(valid(U"0o1"));  // other prefixes are not hex
  CHECK(valid(U"0b1"));        // ...but b is a hex digit
}

TEST_CASE("parse_hex_literal underscore rules", "[base36]") {
  CHECK(valid(U"f_f"));
  CHECK(valid(U"0x_f"));
  CHECK(valid(U"0X_F"));
  CHECK(valid(U"1_2_3"));
  CHECK_FALSE(valid(U"_ff"));
  CHECK_FALSE(valid(U"f__f"));
  CHECK_FALSE(valid(U"ff_"));
  CHECK_FALSE(valid(U"0x__f"));
  CHECK_FALSE(valid(U"0x_"));
  CHECK_FALSE(valid(U"0_x"));
  CHECK_FALSE(valid(U"0_xf"));
  CHECK_FALSE(valid(U"+_f"));
  CHECK_FALSE(valid(U"_"));
  CHECK_FALSE(valid(U"f_ "));
  CHECK_FALSE(valid(U" _f"));
}

TEST_CASE("parse_hex_literal whitespace and empty input", "[base36]") {
  CHECK_FALSE(valid(U""));
  CHECK_FALSE(valid(U"   "));
  CHECK_FALSE(valid(U"xyz"));
  CHECK_FALSE(valid(U"f f"));
  CHECK(valid(U"\t\n\v\f\r ff \r\n"));
  // str.isspace() accepts \x1c-\x1f but int() does not (they are ASCII).
  CHECK_FALSE(
      valid(U"\x1c"
            U"ff"));
  CHECK_FALSE(valid(U"ff\x1f"));
  // Non-ASCII whitespace counts.
  CHECK(base36_encode(U"\u0085ff") == "73");
  CHECK(base36_encode(U"\u00a0ff\u3000\u2028") == "73");
  CHECK_FALSE(valid(U"\u200bff"));  // ZERO WIDTH SPACE is not whitespace
  // An embedded NUL ends nothing: it is invalid.
  CHECK_FALSE(valid(std::u32string_view(U"ff\0", 3)));
  CHECK_FALSE(valid(std::u32string_view(U"\0ff", 3)));
}

TEST_CASE("parse_hex_literal takes Unicode decimal digits", "[base36]") {
  CHECK(base36_encode(U"\u0663\u0663") == "1f");  // ARABIC-INDIC 33 = 0x33
  CHECK(base36_encode(U"0x\u0663") == "3");
  CHECK(base36_encode(U"\u0e53\u0e53") == "1f");  // THAI DIGIT THREE
  CHECK(base36_encode(U"\U0001d7d9") == "1");     // MATHEMATICAL DOUBLE-STRUCK ONE
  // A fullwidth zero followed by 'x' is a prefix, as in CPython.
  CHECK(base36_encode(U"\uff10x5") == "5");
  CHECK_FALSE(valid(U"\uff41"));  // FULLWIDTH a is not a hex digit
  CHECK_FALSE(valid(U"\u00b2"));  // SUPERSCRIPT TWO is not decimal
  CHECK_FALSE(valid(U"\u00e9"));
  CHECK_FALSE(valid(U"f\U0010ffff"));
  CHECK_FALSE(valid(U"f\u2028\u00e9"));
}

TEST_CASE("parse_hex_literal reads every CPython code unit width", "[base36]") {
  const std::uint8_t latin1[] = {0xa0, 'f', 'f'};  // NO-BREAK SPACE
  const std::uint16_t ucs2[] = {0x0663, 0x0663};
  const std::uint32_t ucs4[] = {0x1d7d9, 0xd800};  // a lone surrogate is invalid
  std::optional<HexLiteral> literal = parse_hex_literal(latin1, 3);
  REQUIRE(literal);
  CHECK(to_base36(literal->magnitude) == "73");
  literal = parse_hex_literal(ucs2, 2);
  REQUIRE(literal);
  CHECK(to_base36(literal->magnitude) == "1f");
  CHECK_FALSE(parse_hex_literal(ucs4, 2));
  CHECK(parse_hex_literal(ucs4, 1));
}

TEST_CASE("base36_encode errors", "[base36]") {
  CHECK_THROWS_WITH(base36_encode(U""), "invalid literal for int() with base 16");
  CHECK_THROWS_WITH(base36_encode(U"0x"), "invalid literal for int() with base 16");
  CHECK_THROWS_AS(base36_encode(U"xyz"), std::invalid_argument);
  // The deviation: SkyPilot hangs, sky-native refuses.
  CHECK_THROWS_WITH(base36_encode(U"-ff"), "base36_encode() does not accept a negative value");
  CHECK_THROWS_AS(base36_encode(U" -0x1 "), std::invalid_argument);
}

TEST_CASE("to_base36 of limbs", "[base36]") {
  CHECK(to_base36({}) == "0");
  CHECK(to_base36({35}) == "z");
  CHECK(to_base36({36}) == "10");
  CHECK(to_base36({0, 1}) == "1z141z4");  // 2^32
}
