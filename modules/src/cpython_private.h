// Every private CPython name the bindings use, in one place: together they
// are what breaks on another Python version. Each is guarded by
// PY_VERSION_HEX for the versions it was built and tested with here (3.11,
// the interpreter sky-native embeds); on any other version the build stops
// at that name, with what is known to replace it, rather than somewhere in
// a binding. (The private names the embedded Python uses, the command
// server's, are in modules/python/cpython_private.py.)
#pragma once

#include <Python.h>

#include <cstdint>

namespace sky_native {

#define SKY_NATIVE_CPYTHON_CHECKED (PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030C0000)

/// A dict's version: changes whenever anything is assigned in it. Lets a
/// native call see in one comparison that none of a module's recorded
/// dependencies was replaced (dispatch.cc).
///
/// PyDictObject.ma_version_tag (PEP 509, private; 3.6-3.11). 3.12 and 3.13
/// keep the field but deprecate it (PEP 699: no longer a public promise);
/// 3.14 removes it. The replacement is public since 3.12: a dict watcher
/// (PyDict_AddWatcher + PyDict_Watch on each owner's dict) whose callback
/// marks that owner's dependencies as to be checked again.
inline std::uint64_t dict_version(PyObject* dict) {
#if SKY_NATIVE_CPYTHON_CHECKED
  return reinterpret_cast<PyDictObject*>(dict)->ma_version_tag;
#else
#error "dict_version: ma_version_tag is deprecated from 3.12 and gone in 3.14; use a dict watcher"
#endif
}

/// Whether this is the main thread of the main interpreter: the only one
/// that runs Python's signal handlers (signal_check.h).
///
/// _PyOS_IsMainThread() (intrcheck.h, exported but private, 3.11). Not
/// checked on other versions. The public equivalent: PyThread_get_ident()
/// equal to threading.main_thread().ident recorded at start-up, and
/// PyInterpreterState_Get() == PyInterpreterState_Main().
inline bool is_main_thread() {
#if SKY_NATIVE_CPYTHON_CHECKED
  return _PyOS_IsMainThread() != 0;
#else
#error "is_main_thread: _PyOS_IsMainThread is private; compare thread idents instead"
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

#undef SKY_NATIVE_CPYTHON_CHECKED

// Public, but newer than 3.9 (for a build on older versions): Py_NewRef and
// Py_XNewRef, Py_TPFLAGS_DISALLOW_INSTANTIATION and Py_TPFLAGS_IMMUTABLETYPE
// (3.10); PyErr_GetHandledException / PyErr_SetHandledException (3.11;
// before: PyErr_GetExcInfo / PyErr_SetExcInfo) and PyType_GetName (3.11;
// before: the type's __name__). T_PYSSIZET (structmember.h) is deprecated
// from 3.12 for Py_T_PYSSIZET.

}  // namespace sky_native
