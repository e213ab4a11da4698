// The parts of Python's Unicode database that int() and float() consult:
// decimal digits of every script and whitespace (Unicode 14.0, CPython 3.11).
#pragma once

#include <string>
#include <string_view>

namespace sky::core {

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
