// format_float and truncate_long_string as METH_FASTCALL builtins: both are
// called per table row, and pybind11's dispatcher would cost more than
// SkyPilot's Python does.
#include <Python.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <string>
#include <string_view>

#include "bindings.h"
#include "cpython_private.h"
#include "dispatch.h"
#include "exceptions.h"
#include "sky/functions/text.h"

namespace sky_native {
namespace {

PyObject* ascii_string(const std::string& text) {
  PyObject* result = PyUnicode_New(static_cast<Py_ssize_t>(text.size()), 127);
  if (result == nullptr) return nullptr;
  std::memcpy(PyUnicode_DATA(result), text.data(), text.size());
  return result;
}

}  // namespace

PyObject* format_float(PyObject* /*self*/, PyObject* const* args, Py_ssize_t nargs,
                       PyObject* kwnames) {
  Call<FunctionId::kFormatFloat> call(args, nargs, kwnames);
  if (!call.native()) return call.defer();
  PyObject* num = call[0];
  // isinstance(num, int): str(num), precision unused. Int subclasses other
  // than bool may override __str__, so they go to the original.
  if (PyLong_CheckExact(num) || PyBool_Check(num)) return PyObject_Str(num);
  if (!PyFloat_CheckExact(num)) return call.defer();
  double value = PyFloat_AS_DOUBLE(num);
  int precision = 1;
  bool whole = std::isfinite(value) && std::floor(value) == value;
  if (!whole) {
    // The f-string formats precision with str(): only an exact int in range
    // gives a format the core handles; the rest (bool, negative, huge,
    // other types) raises or formats in Python.
    PyObject* given = call[1];
    int overflow = 0;
    long requested = PyLong_CheckExact(given) ? PyLong_AsLongAndOverflow(given, &overflow) : -1;
    if (overflow != 0 || requested < 0 || requested > sky::core::kMaxFormatPrecision) {
      return call.defer();
    }
    precision = static_cast<int>(requested);
  }
  return translate_exceptions(
      [&]() -> PyObject* { return ascii_string(sky::core::format_float(value, precision)); });
}

namespace {

// The largest code point in data[begin:end] of a str of the given kind.
template <typename CodeUnit>
Py_UCS4 max_code_point(const void* data, std::size_t begin, std::size_t end) {
  const CodeUnit* units = static_cast<const CodeUnit*>(data);
  CodeUnit found = 0;
  for (std::size_t i = begin; i < end; ++i) found = std::max(found, units[i]);
  return found;
}

template <typename CodeUnit>
sky::core::Truncation plan(const void* data, Py_ssize_t length, Py_ssize_t max_length,
                           bool truncate_middle) {
  return sky::core::plan_truncation(static_cast<const CodeUnit*>(data),
                                    static_cast<std::size_t>(length), max_length, truncate_middle);
}

// s[:head] + '...' + s[len(s)-tail:], built straight from s's code units in
// the smallest kind that holds them (CPython's canonical form).
PyObject* build_truncated(PyObject* s, const sky::core::Truncation& truncation) {
  int kind = PyUnicode_KIND(s);
  const void* data = PyUnicode_DATA(s);
  std::size_t length = static_cast<std::size_t>(PyUnicode_GET_LENGTH(s));
  std::size_t tail_start = length - truncation.tail;
  Py_UCS4 max_char = 127;
  if (!PyUnicode_IS_ASCII(s)) {
    auto scan = [&](auto unit_tag) {
      using CodeUnit = decltype(unit_tag);
      return std::max(max_code_point<CodeUnit>(data, 0, truncation.head),
                      max_code_point<CodeUnit>(data, tail_start, length));
    };
    Py_UCS4 found = kind == PyUnicode_1BYTE_KIND   ? scan(Py_UCS1{})
                    : kind == PyUnicode_2BYTE_KIND ? scan(Py_UCS2{})
                                                   : scan(Py_UCS4{});
    max_char = std::max(max_char, found);
  }
  Py_ssize_t result_length = static_cast<Py_ssize_t>(truncation.head + 3 + truncation.tail);
  PyObject* result = PyUnicode_New(result_length, max_char);
  if (result == nullptr) return nullptr;
  int result_kind = PyUnicode_KIND(result);
  void* out = PyUnicode_DATA(result);
  if (result_kind == kind) {
    auto* bytes = static_cast<char*>(out);
    const auto* source = static_cast<const char*>(data);
    std::size_t unit = static_cast<std::size_t>(kind);
    std::memcpy(bytes, source, truncation.head * unit);
    std::memcpy(bytes + (truncation.head + 3) * unit, source + tail_start * unit,
                truncation.tail * unit);
  } else {
    for (std::size_t i = 0; i < truncation.head; ++i) {
      PyUnicode_WRITE(result_kind, out, i, PyUnicode_READ(kind, data, i));
    }
    for (std::size_t i = 0; i < truncation.tail; ++i) {
      PyUnicode_WRITE(result_kind, out, truncation.head + 3 + i,
                      PyUnicode_READ(kind, data, tail_start + i));
    }
  }
  for (std::size_t i = 0; i < 3; ++i) PyUnicode_WRITE(result_kind, out, truncation.head + i, '.');
  return result;
}

}  // namespace

PyObject* truncate_long_string(PyObject* /*self*/, PyObject* const* args, Py_ssize_t nargs,
                               PyObject* kwnames) {
  Call<FunctionId::kTruncateLongString> call(args, nargs, kwnames);
  if (!call.native()) return call.defer();
  PyObject* s = call[0];
  PyObject* max_length_object = call[1];
  if (!PyUnicode_CheckExact(s) ||
      (!PyLong_CheckExact(max_length_object) && !PyBool_Check(max_length_object))) {
    return call.defer();
  }
  if (PyUnicode_READY(s) < 0) return nullptr;
  // Python compares and slices with the unbounded int; clamping to
  // Py_ssize_t gives the same answers since len(s) fits in it.
  Py_ssize_t max_length = PyNumber_AsSsize_t(max_length_object, nullptr);
  Py_ssize_t length = PyUnicode_GET_LENGTH(s);
  if (length <= max_length) return Py_NewRef(s);
  // Only now does SkyPilot look at truncate_middle.
  int truth = PyObject_IsTrue(call[2]);
  if (truth < 0) return nullptr;
  bool truncate_middle = truth != 0;
  const void* data = PyUnicode_DATA(s);
  sky::core::Truncation truncation;
  switch (PyUnicode_KIND(s)) {
    case PyUnicode_1BYTE_KIND:
      truncation = plan<Py_UCS1>(data, length, max_length, truncate_middle);
      break;
    case PyUnicode_2BYTE_KIND:
      truncation = plan<Py_UCS2>(data, length, max_length, truncate_middle);
      break;
    default:
      truncation = plan<Py_UCS4>(data, length, max_length, truncate_middle);
      break;
  }
  return build_truncated(s, truncation);
}

}  // namespace sky_native
