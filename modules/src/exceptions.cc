#include "exceptions.h"

#include <new>
#include <stdexcept>

#include "py_ref.h"
#include "sky/common/errors.h"

namespace sky_native {
namespace {

void set_os_error(const sky::core::OsError& error) {
  // OSError(errno, strerror[, filename]) selects FileNotFoundError,
  // IsADirectoryError, PermissionError, ... exactly as CPython's own I/O.
  if (error.has_path()) {
    Ref path = steal(PyUnicode_DecodeFSDefault(error.path().c_str()));
    if (!path) return;
    errno = error.error_number();
    PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path.ptr());
  } else {
    errno = error.error_number();
    PyErr_SetFromErrno(PyExc_OSError);
  }
}

}  // namespace

void set_python_error(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const PythonErrorSet&) {
    // Already set.
  } catch (pybind11::error_already_set& e) {
    e.restore();
  } catch (const pybind11::builtin_exception& e) {
    e.set_error();
  } catch (const sky::core::OsError& e) {
    set_os_error(e);
  } catch (const std::invalid_argument& e) {
    PyErr_SetString(PyExc_ValueError, e.what());
  } catch (const std::overflow_error& e) {
    PyErr_SetString(PyExc_OverflowError, e.what());
  } catch (const std::bad_alloc&) {
    PyErr_NoMemory();
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  } catch (...) {
    PyErr_SetString(PyExc_RuntimeError, "sky_native: unknown C++ exception");
  }
}

void register_exception_translator() {
  // pybind11's translator type takes the exception_ptr by value.
  pybind11::register_exception_translator([](std::exception_ptr error) {  // NOLINT
    if (error) set_python_error(error);
  });
}

}  // namespace sky_native
