// Every private CPython name the bindings use, in one place: together they
// are what breaks on another Python version. Each is guarded by
// PY_VERSION_HEX for the versions it was built and tested with: 3.11 (the
// interpreter sky-native embeds) and 3.9-3.13 (the wheel); on any other
// version the build stops at that name, with what is known to replace it,
// rather than somewhere in a binding. Below them, the public calls newer
// than 3.9, written for the versions that lack them. (The private names the
// embedded Python uses, the command server's, are in
// modules/python/cpython_private.py.)
#pragma once

#include <Python.h>

#include <cstdint>

namespace sky_native {

/// A dict's version: changes whenever anything is assigned in it. Lets a
/// native call see in one comparison that none of a module's recorded
/// dependencies was replaced (dispatch.cc).
///
/// PyDictObject.ma_version_tag (PEP 509, private; 3.6-3.13). 3.12 and 3.13
/// keep the field, still bumped on every change, but deprecate it (PEP 699:
/// no longer a public promise); 3.14 removes it, and a build for 3.14 stops
/// here. Its public replacement (3.12): a dict watcher (PyDict_AddWatcher +
/// PyDict_Watch on each owner's dict) whose callback marks that owner's
/// dependencies as to be checked again.
inline std::uint64_t dict_version(PyObject* dict) {
#if PY_VERSION_HEX < 0x030C0000
  return reinterpret_cast<PyDictObject*>(dict)->ma_version_tag;
#elif PY_VERSION_HEX < 0x030E0000
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  return reinterpret_cast<PyDictObject*>(dict)->ma_version_tag;
#pragma GCC diagnostic pop
#else
#error "dict_version: ma_version_tag is gone in 3.14; use a dict watcher"
#endif
}

}  // namespace sky_native

#if PY_VERSION_HEX >= 0x030D0000 && PY_VERSION_HEX < 0x030E0000
// 3.13 moved the declaration to its internal headers; the function is still
// exported (PyAPI_FUNC), with the same meaning.
extern "C" int _PyOS_IsMainThread(void);
#endif

namespace sky_native {

/// Whether this is the main thread of the main interpreter: the only one
/// that runs Python's signal handlers (signal_check.h).
///
/// _PyOS_IsMainThread() (exported but private: intrcheck.h to 3.12, the
/// internal pycore_signal.h in 3.13). Its public equivalent, for a version
/// that drops it: PyThread_get_ident() equal to threading.main_thread().ident
/// recorded at start-up, and PyInterpreterState_Get() ==
/// PyInterpreterState_Main().
inline bool is_main_thread() {
#if PY_VERSION_HEX < 0x030E0000
  return _PyOS_IsMainThread() != 0;
#else
#error "is_main_thread: not checked on 3.14; compare thread idents instead"
#endif
}

/// This thread's thread state, or nullptr (never a fatal error).
///
/// PyThreadState_GetUnchecked (public from 3.13); before, the same function
/// as _PyThreadState_UncheckedGet (exported, private).
inline PyThreadState* current_thread_state() {
#if PY_VERSION_HEX >= 0x030D0000
  return PyThreadState_GetUnchecked();
#else
  return _PyThreadState_UncheckedGet();
#endif
}

/// The attribute of os.environ (an os._Environ) holding the environment as
/// a dict of bytes to bytes, read by get_cpu_count and get_mem_size_gb
/// (bind_resources.cc) as os.getenv would.
///
/// os._Environ._data: a private attribute of the os module (pure Python),
/// unchanged from 3.9 to 3.14 as far as known; the bindings defer to Python
/// whenever os.environ is not an _Environ, and treat a missing or non-dict
/// _data the same way, so a change there costs speed, never correctness.
inline constexpr const char kEnvironData[] = "_data";

}  // namespace sky_native

// Public API newer than 3.9, written here for 3.9 and 3.10 (the wheel) with
// the calls those versions have for the same thing.
#if PY_VERSION_HEX < 0x030A0000
inline PyObject* Py_NewRef(PyObject* object) {
  Py_INCREF(object);
  return object;
}
inline PyObject* Py_XNewRef(PyObject* object) {
  Py_XINCREF(object);
  return object;
}
// 3.9 has no such flags: native_function.cc gives its type a tp_new that
// raises what 3.10's flag makes Python raise, and the type stays mutable.
#define Py_TPFLAGS_DISALLOW_INSTANTIATION 0
#define Py_TPFLAGS_IMMUTABLETYPE 0
#define SKY_NATIVE_NO_DISALLOW_INSTANTIATION 1
#endif

#if PY_VERSION_HEX < 0x030B0000
/// The exception being handled (sys.exception()), a new reference, or NULL.
inline PyObject* PyErr_GetHandledException() {
  PyObject* type = nullptr;
  PyObject* value = nullptr;
  PyObject* traceback = nullptr;
  PyErr_GetExcInfo(&type, &value, &traceback);
  Py_XDECREF(type);
  Py_XDECREF(traceback);
  if (value == Py_None) {
    Py_DECREF(value);
    return nullptr;
  }
  return value;
}
/// Makes `exception` (or none, for NULL) the exception being handled.
inline void PyErr_SetHandledException(PyObject* exception) {
  if (exception == nullptr || exception == Py_None) {
    PyErr_SetExcInfo(nullptr, nullptr, nullptr);
    return;
  }
  PyErr_SetExcInfo(Py_NewRef(reinterpret_cast<PyObject*>(Py_TYPE(exception))), Py_NewRef(exception),
                   PyException_GetTraceback(exception));
}
/// type.__name__.
inline PyObject* PyType_GetName(PyTypeObject* type) {
  return PyObject_GetAttrString(reinterpret_cast<PyObject*>(type), "__name__");
}
#endif
