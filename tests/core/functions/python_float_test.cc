#include "sky/functions/python_float.h"
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

using sky::core::parse_python_float;

namespace {

// Exact comparison: the parser must give float()'s bits, not a near value.
void require_value(const std::string& text, double expected) {
  INFO("input: " << text);
  std::optional<double> parsed = parse_python_float(text);
  REQUIRE(parsed.has_value());
  REQUIRE(*parsed == expected);
  REQUIRE(std::signbit(*parsed) == std::signbit(expected));
}

void require_rejected(const std::string& text) {
  INFO("input: " << text);
  REQUIRE_FALSE(parse_python_float(text).has_value());
}

}  // namespace

TEST_CASE("python float: plain decimals", "[python_float]") {
  require_value("0", 0.0);
  require_value("-0", -0.0);
  require_value("+0.0", 0.0);
  require_value("2.5", 2.5);
  require_value("0.5", 0.5);
  require_value("-1", -1.0);
  require_value(".5", 0.5);
  require_value("5.", 5.0);
  require_value("+.5", 0.5);
  require_value("-5.", -5.0);
  require_value("007", 7.0);
  require_value("1e1", 10.0);
  require_value("1E+2", 100.0);
  require_value("1e-2", 0.01);
  require_value(".5e1", 5.0);
  require_value("5.e1", 50.0);
  require_value("0.1", 0.1);
  require_value("1e30", 1e30);
  require_value("123456789012345678901234567890", 123456789012345678901234567890.0);
}

TEST_CASE("python float: correct rounding and range", "[python_float]") {
  require_value("0.1e1", 1.0);
  require_value("9007199254740993", 9007199254740992.0);  // tie to even
  require_value("9007199254740995", 9007199254740996.0);
  require_value("2.2250738585072011e-308", 2.2250738585072011e-308);
  require_value("4.9406564584124654e-324", 4.9406564584124654e-324);
  require_value("1.7976931348623157e308", 1.7976931348623157e308);
  require_value("1e400", std::numeric_limits<double>::infinity());
  require_value("-1e400", -std::numeric_limits<double>::infinity());
  require_value("1e-400", 0.0);
  require_value("-1e-400", -0.0);
  require_value("1e99999999999999999999", std::numeric_limits<double>::infinity());
  require_value("0e99999999999999999999", 0.0);
  require_value("0." + std::string(400, '0') + "1e401", 1.0);
}

TEST_CASE("python float: whitespace", "[python_float]") {
  require_value(" 4 ", 4.0);
  require_value("\t\n\v\f\r 4\r\n", 4.0);
  require_value(
      "\xc2\x85"
      "1",
      1.0);  // U+0085
  require_value(
      "\xc2\xa0"
      "1\xe3\x80\x80",
      1.0);  // U+00A0, U+3000
  require_value(
      "\xe2\x80\xa8"
      "7",
      7.0);  // U+2028
  // U+001C..U+001F are str.isspace() but ASCII: float() keeps them as they
  // are and Py_ISSPACE does not strip them.
  require_rejected(
      "\x1c"
      "1");
  require_rejected("1\x1f");
  require_rejected("1 2");
  require_rejected(
      "1\xc2\xa0"
      "2");
  require_rejected("   ");
  require_rejected("");
  require_rejected("\xc2\xa0");
}

TEST_CASE("python float: Unicode digits", "[python_float]") {
  require_value("\xd9\xa1\xd9\xa2", 12.0);          // Arabic-Indic 1 2
  require_value("\xef\xbc\x93.\xef\xbc\x95", 3.5);  // fullwidth 3.5
  require_value("1e\xe0\xa5\xa8", 100.0);           // Devanagari 2 exponent
  require_value("\xf0\x9d\x9f\x8f", 1.0);           // U+1D7CF MATHEMATICAL BOLD ONE
  require_rejected("\xc2\xb2");                     // superscript two: digit, not decimal
  require_rejected("\xe2\x85\xa0");                 // roman numeral one
  require_rejected(
      "\xef\xbc\x8b"
      "1");  // fullwidth plus
  require_rejected(
      "\xe2\x88\x92"
      "1");  // minus sign
}

TEST_CASE("python float: underscores", "[python_float]") {
  require_value("1_000", 1000.0);
  require_value("1_0.5_5", 10.55);
  require_value("1e1_0", 1e10);
  require_value(" 1_0 ", 10.0);
  require_value("0_10", 10.0);
  require_value("\xd9\xa1_\xd9\xa2", 12.0);
  require_rejected("1_");
  require_rejected("_1");
  require_rejected("1__0");
  require_rejected("1_.5");
  require_rejected("1._5");
  require_rejected("1e_5");
  require_rejected("1_e5");
  require_rejected("in_f");
  require_rejected("+_1");
  require_rejected("1 _0");
  require_rejected("_");
}

TEST_CASE("python float: inf and nan", "[python_float]") {
  const double inf = std::numeric_limits<double>::infinity();
  for (const char* text : {"inf", "INF", "iNf", "+inf", "infinity", "InFiNiTy", " +Infinity\n"}) {
    require_value(text, inf);
  }
  require_value("-inf", -inf);
  require_value("-INFINITY", -inf);
  for (const char* text : {"nan", "NaN", "+nan", " NAN "}) {
    INFO(text);
    std::optional<double> parsed = parse_python_float(text);
    REQUIRE(parsed.has_value());
    REQUIRE(std::isnan(*parsed));
    REQUIRE_FALSE(std::signbit(*parsed));
  }
  std::optional<double> negative_nan = parse_python_float("-nan");
  REQUIRE(negative_nan.has_value());
  REQUIRE(std::isnan(*negative_nan));
  REQUIRE(std::signbit(*negative_nan));
  for (const char* text : {"infin", "infinit", "infinityy", "nan(1)", "nan()", "nanq", "snan",
                           "+-inf", "--1", "in", "na", "i nf", "inf_", "1inf"}) {
    require_rejected(text);
  }
}

TEST_CASE("python float: rejected forms", "[python_float]") {
  for (const char* text : {"0x10", "0X1p3", "0x1.8p1", "1e",   "1e+",   "1e-",  ".",  "+",  "-",
                           ".e1",  "e1",    "1.2.3",   "1ee1", "1e1.5", "1,5",  "1d", "1f", "abc",
                           "--",   "1+",    "1-1",     "0b1",  "0o7",   "\1771" /* DEL then 1 */}) {
    require_rejected(text);
  }
  require_rejected(std::string("1\0", 2));
  require_rejected(std::string("1_0\0", 4));
  require_rejected(std::string("\0", 1));
  require_rejected("\xff");           // invalid UTF-8
  require_rejected("1\xed\xa0\x80");  // an encoded surrogate
  require_rejected("\xc3\xa9");       // a letter
}
