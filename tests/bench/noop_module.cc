// sky_native_bench_noop: a CPython extension with the least Python work two
// of the report's figures stand on, timed from Python with the same loop as
// compare_python.py (tests/bench/noop_call.py):
// - noop(), a bare METH_FASTCALL function that returns None: the per-call
//   cost no binding can go below, the reference of the "native - no-op"
//   column;
// - str_lines(data), the list read_last_n_lines returns for the bytes
//   `data` (its lines with their '\n', the last without), each str decoded
//   once with PyUnicode_DecodeUTF8 straight from the bytes: what the
//   result's objects cost any version, on top of reading the file.
#include <Python.h>

#include <cstring>

namespace {

PyObject* noop(PyObject* /*module*/, PyObject* const* /*args*/, Py_ssize_t /*nargs*/) {
  Py_RETURN_NONE;
}

// The start of the line after the one at `data` (its '\n' included).
const char* next_line(const char* data, const char* end) {
  const void* newline = std::memchr(data, '\n', static_cast<std::size_t>(end - data));
  return newline ? static_cast<const char*>(newline) + 1 : end;
}

PyObject* str_lines(PyObject* /*module*/, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 1 || !PyBytes_Check(args[0])) {
    PyErr_SetString(PyExc_TypeError, "str_lines(data: bytes)");
    return nullptr;
  }
  const char* begin = PyBytes_AS_STRING(args[0]);
  const char* end = begin + PyBytes_GET_SIZE(args[0]);
  Py_ssize_t count = 0;
  for (const char* at = begin; at < end; at = next_line(at, end)) ++count;
  PyObject* lines = PyList_New(count);
  if (lines == nullptr) return nullptr;
  Py_ssize_t index = 0;
  for (const char* at = begin; at < end; ++index) {
    const char* next = next_line(at, end);
    PyObject* line = PyUnicode_DecodeUTF8(at, next - at, "replace");
    if (line == nullptr) {
      Py_DECREF(lines);
      return nullptr;
    }
    PyList_SET_ITEM(lines, index, line);
    at = next;
  }
  return lines;
}

PyMethodDef methods[] = {
    {"noop", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(noop)), METH_FASTCALL,
     "Returns None."},
    {"str_lines", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(str_lines)),
     METH_FASTCALL, "The lines of data (bytes) as str, each with its newline."},
    {nullptr, nullptr, 0, nullptr}};

PyModuleDef module = {PyModuleDef_HEAD_INIT,
                      "sky_native_bench_noop",
                      "A bare METH_FASTCALL no-op, and the bare making of a list of lines.",
                      -1,
                      methods,
                      nullptr,
                      nullptr,
                      nullptr,
                      nullptr};

}  // namespace

PyMODINIT_FUNC PyInit_sky_native_bench_noop() { return PyModule_Create(&module); }
