// sky_native_bench_noop: a CPython extension whose one function, noop(), is a
// bare METH_FASTCALL function that returns None. tests/bench/report.py times
// it from Python with the same loop as compare_python.py: the per-call cost
// no binding can go below, the reference of the "native - no-op" column.
#include <Python.h>

namespace {

PyObject* noop(PyObject* /*module*/, PyObject* const* /*args*/, Py_ssize_t /*nargs*/) {
  Py_RETURN_NONE;
}

PyMethodDef methods[] = {{"noop", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(noop)),
                          METH_FASTCALL, "Returns None."},
                         {nullptr, nullptr, 0, nullptr}};

PyModuleDef module = {PyModuleDef_HEAD_INIT,
                      "sky_native_bench_noop",
                      "A bare METH_FASTCALL no-op.",
                      -1,
                      methods,
                      nullptr,
                      nullptr,
                      nullptr,
                      nullptr};

}  // namespace

PyMODINIT_FUNC PyInit_sky_native_bench_noop() { return PyModule_Create(&module); }
