// The running interpreter's Unicode database for core's int()/float()
// parsing: float() and int() on this interpreter consult its own tables,
// whose Unicode version differs between CPython releases (see
// sky/functions/unicode.h), so the native parse must use them too.
#include <Python.h>

#include "bindings.h"
#include "sky/functions/unicode.h"

namespace sky_native {
namespace {

// Lookups in static tables only (no interpreter state), so they are safe
// where core calls them without the GIL.
int decimal_value(char32_t code_point) noexcept {
  return Py_UNICODE_TODECIMAL(static_cast<Py_UCS4>(code_point));
}

bool is_space(char32_t code_point) noexcept {
  return Py_UNICODE_ISSPACE(static_cast<Py_UCS4>(code_point)) != 0;
}

}  // namespace

void install_unicode_tables() { sky::core::set_unicode_tables({decimal_value, is_space}); }

}  // namespace sky_native
