// The parts of Python's Unicode database that int() and float() consult:
// decimal digits of every script and whitespace. A copy of CPython 3.11's
// (Unicode 14.0) is built in; an embedding interpreter replaces it with its
// own (UnicodeTables).
#pragma once

#include <string>
#include <string_view>

namespace sky::core {

/// Where the non-ASCII code points are looked up. int(), float() and
/// str.isspace() consult the running interpreter's database, and that
/// differs between versions (3.9/3.10: Unicode 13, 3.11: 14, 3.12: 15,
/// 3.13: 15.1: the Tangsa digits U+16AC0.. are decimal from 3.11 on, the
/// Kawi digits U+11F50.. from 3.12 on), so
/// a module loaded into an interpreter installs that interpreter's tables
/// to parse exactly as it does. ASCII never reaches them (it is the same in
/// every version, and stays a direct check). They are called without the
/// GIL, from any thread: plain table lookups.
struct UnicodeTables {
  int (*decimal_value)(char32_t code_point) noexcept;  // -1 when not decimal
  bool (*is_space)(char32_t code_point) noexcept;
};

/// The built-in copy (Unicode 14.0, CPython 3.11): the default, and what
/// core's own tests and fuzzers use.
UnicodeTables builtin_unicode_tables() noexcept;

/// Installs `tables` for every later lookup. Meant to be called once at
/// start-up, before any parse: each pointer is swapped atomically, but a
/// lookup running meanwhile may see the old one.
void set_unicode_tables(UnicodeTables tables) noexcept;

/// The digit value 0-9 of a Unicode decimal digit (category Nd, as
/// unicodedata.decimal), or -1 when the code point is not one.
int unicode_decimal_value(char32_t code_point) noexcept;

/// True for the code points str.isspace() accepts.
bool unicode_is_space(char32_t code_point) noexcept;

/// CPython's _PyUnicode_TransformDecimalAndSpaceToASCII, the first step of
/// int() and float() on a str: code points below 127 are kept, other
/// whitespace becomes ' ', other decimal digits their ASCII digit. Returns
/// false for any other code point (where CPython writes '?' and the parse
/// then fails).
bool transform_decimal_and_space_to_ascii(std::u32string_view text, std::string& ascii);

/// Decodes strict UTF-8 into code points; false on any invalid sequence
/// (surrogates included), leaving `out` unspecified.
bool decode_utf8(std::string_view utf8, std::u32string& out);

/// Encodes code points as UTF-8 (surrogates are encoded as-is, as Python's
/// "surrogatepass" would).
std::string encode_utf8(std::u32string_view code_points);

}  // namespace sky::core
