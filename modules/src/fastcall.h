// Binding hot, tiny functions through CPython's METH_FASTCALL: pybind11's
// dispatcher costs more per call than some of these functions do in Python.
#pragma once

#include <Python.h>
#include <pybind11/pybind11.h>

#include <array>
#include <cstddef>
#include <string_view>

namespace sky_native {

using FastcallFunction = PyObject* (*)(PyObject* self, PyObject* const* args, Py_ssize_t nargs,
                                       PyObject* kwnames);

/// Adds `function` to the module as a builtin taking positional and keyword
/// arguments (METH_FASTCALL | METH_KEYWORDS).
void add_fastcall(pybind11::module_& m, const char* name, FastcallFunction function,
                  const char* doc);

/// Binds vectorcall arguments to the named parameters by position, then by
/// keyword; the first `required` parameters have no default. Unfilled slots
/// stay nullptr (the caller applies the default). Returns false for anything
/// a Python `def` would reject (too many arguments, an unknown or repeated
/// keyword, a missing required one); the caller then defers to the Python
/// original, which raises the exact TypeError. Sets no error.
template <std::size_t N>
bool bind_arguments(PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames,
                    const std::array<std::string_view, N>& names, std::size_t required,
                    std::array<PyObject*, N>& out) {
  out.fill(nullptr);
  if (nargs < 0 || static_cast<std::size_t>(nargs) > N) return false;
  for (Py_ssize_t i = 0; i < nargs; ++i) out[i] = args[i];
  Py_ssize_t keyword_count = kwnames == nullptr ? 0 : PyTuple_GET_SIZE(kwnames);
  for (Py_ssize_t k = 0; k < keyword_count; ++k) {
    Py_ssize_t length = 0;
    const char* keyword = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(kwnames, k), &length);
    if (keyword == nullptr) {
      PyErr_Clear();
      return false;
    }
    std::string_view key(keyword, static_cast<std::size_t>(length));
    std::size_t slot = 0;
    while (slot < N && names[slot] != key) ++slot;
    if (slot == N || out[slot] != nullptr) return false;
    out[slot] = args[nargs + k];
  }
  for (std::size_t i = 0; i < required && i < N; ++i) {
    if (out[i] == nullptr) return false;
  }
  return true;
}

}  // namespace sky_native
