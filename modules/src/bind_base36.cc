// base36_encode as a METH_FASTCALL builtin.
#include <Python.h>

#include <array>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "bindings.h"
#include "dispatch.h"
#include "exceptions.h"
#include "sky/functions/base36.h"

namespace sky_native {
namespace {

template <typename CodeUnit>
std::optional<sky::core::HexLiteral> parse(PyObject* text) {
  return sky::core::parse_hex_literal(static_cast<const CodeUnit*>(PyUnicode_DATA(text)),
                                      static_cast<std::size_t>(PyUnicode_GET_LENGTH(text)));
}

}  // namespace

PyObject* base36_encode(PyObject* /*self*/, PyObject* const* args, Py_ssize_t nargs,
                        PyObject* kwnames) {
  Call<FunctionId::kBase36Encode> call(args, nargs, kwnames);
  if (!call.native() || !PyUnicode_CheckExact(call[0])) return call.defer();  // TypeError
  PyObject* hex_str = call[0];
  if (PyUnicode_READY(hex_str) < 0) return nullptr;
  return translate_exceptions([&]() -> PyObject* {
    std::optional<sky::core::HexLiteral> literal;
    switch (PyUnicode_KIND(hex_str)) {
      case PyUnicode_1BYTE_KIND:
        literal = parse<Py_UCS1>(hex_str);
        break;
      case PyUnicode_2BYTE_KIND:
        literal = parse<Py_UCS2>(hex_str);
        break;
      default:
        literal = parse<Py_UCS4>(hex_str);
        break;
    }
    // int() raises ValueError with the input's repr cut to 200 characters:
    // the original produces exactly that message (it never hangs here).
    if (!literal) return call.defer();
    if (literal->negative && !literal->is_zero()) {
      // SkyPilot's Python loops forever on a negative value: the one
      // documented deviation (sky/functions/base36.h).
      PyErr_Format(PyExc_ValueError, "base36_encode() does not accept a negative value: %.200R",
                   hex_str);
      return nullptr;
    }
    std::string digits = sky::core::to_base36(literal->magnitude);
    PyObject* result = PyUnicode_New(static_cast<Py_ssize_t>(digits.size()), 127);
    if (result == nullptr) return nullptr;
    std::memcpy(PyUnicode_DATA(result), digits.data(), digits.size());
    return result;
  });
}

}  // namespace sky_native
