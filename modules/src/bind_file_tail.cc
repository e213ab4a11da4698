// read_last_n_lines: SkyPilot's assert checks, the backwards read in the
// core (GIL released; signal handlers run between chunks and on EINTR, as
// in SkyPilot's loop), then Python's own codecs for every selected line.
#include <sys/stat.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "bindings.h"
#include "dispatch.h"
#include "exceptions.h"
#include "gil.h"
#include "signal_check.h"
#include "sky/core/errors.h"
#include "sky/core/file_tail.h"

namespace sky_native {
namespace {

// SkyPilot's module was compiled with the interpreter's optimisation level,
// fixed for the process: under -O its asserts are gone.
bool asserts_enabled() {
  static int optimize = -1;
  if (optimize < 0) {
    PyObject* flags = PySys_GetObject("flags");  // borrowed
    PyObject* level = flags ? PyObject_GetAttrString(flags, "optimize") : nullptr;
    optimize = level ? static_cast<int>(PyLong_AsLong(level)) : 0;
    Py_XDECREF(level);
    if (PyErr_Occurred()) PyErr_Clear();
    if (optimize < 0) optimize = 0;
  }
  return optimize == 0;
}

// An exact int in int64 range, or false (the caller defers to Python).
bool exact_int64(PyObject* value, std::int64_t& out) {
  if (!PyLong_CheckExact(value)) return false;
  int overflow = 0;
  long long result = PyLong_AsLongLongAndOverflow(value, &overflow);
  if (overflow != 0 || (result == -1 && PyErr_Occurred())) {
    PyErr_Clear();
    return false;
  }
  out = result;
  return true;
}

// An exact str usable as bytes.decode's argument (UTF-8, no NUL), or false.
bool codec_argument(PyObject* value, const char*& out) {
  if (!PyUnicode_CheckExact(value)) return false;
  Py_ssize_t length = 0;
  const char* text = PyUnicode_AsUTF8AndSize(value, &length);
  if (text == nullptr) {
    PyErr_Clear();
    return false;
  }
  if (std::strlen(text) != static_cast<std::size_t>(length)) return false;
  out = text;
  return true;
}

// Within SkyPilot's `except OSError as e:` -- raise RuntimeError(f'Failed to
// read last {n} lines from {file_path}: {e}') from e. Expects the OSError as
// the current error.
PyObject* raise_failed_to_read(PyObject* n, PyObject* file_path) {
  PyObject* type = nullptr;
  PyObject* value = nullptr;
  PyObject* traceback = nullptr;
  PyErr_Fetch(&type, &value, &traceback);
  PyErr_NormalizeException(&type, &value, &traceback);
  if (traceback != nullptr) PyException_SetTraceback(value, traceback);
  Py_XDECREF(type);
  Py_XDECREF(traceback);
  PyObject* message =
      PyUnicode_FromFormat("Failed to read last %S lines from %U: %S", n, file_path, value);
  PyObject* error = message ? PyObject_CallOneArg(PyExc_RuntimeError, message) : nullptr;
  Py_XDECREF(message);
  if (error == nullptr) {
    Py_DECREF(value);
    return nullptr;
  }
  Py_INCREF(value);
  PyException_SetContext(error, value);  // raised while handling e (steals)
  PyException_SetCause(error, value);    // `from e` (steals)
  // PyErr_Restore, not PyErr_SetObject: the context is e, not whatever the
  // caller is handling.
  PyErr_Restore(Py_NewRef(reinterpret_cast<PyObject*>(Py_TYPE(error))), error, nullptr);
  return nullptr;
}

// line.decode(encoding, errors).rstrip('\r') [+ '\n'].
PyObject* decode_line(const std::string& line, const char* encoding, const char* errors,
                      bool add_newline) {
  PyObject* text =
      PyUnicode_Decode(line.data(), static_cast<Py_ssize_t>(line.size()), encoding, errors);
  if (text == nullptr) return nullptr;
  if (!PyUnicode_CheckExact(text)) {
    // A codec returned a str subclass: let str's own methods decide.
    PyObject* stripped = PyObject_CallMethod(text, "rstrip", "s", "\r");
    Py_DECREF(text);
    if (stripped == nullptr || !add_newline) return stripped;
    PyObject* newline = PyUnicode_FromOrdinal('\n');
    PyObject* joined = newline ? PyNumber_Add(stripped, newline) : nullptr;
    Py_XDECREF(newline);
    Py_DECREF(stripped);
    return joined;
  }
  Py_ssize_t length = PyUnicode_GET_LENGTH(text);
  Py_ssize_t kept = length;
  while (kept > 0 && PyUnicode_READ_CHAR(text, kept - 1) == '\r') --kept;
  if (kept < length) {
    PyObject* stripped = PyUnicode_Substring(text, 0, kept);
    Py_DECREF(text);
    if (stripped == nullptr) return nullptr;
    text = stripped;
  }
  if (!add_newline) return text;
  static PyObject* newline = PyUnicode_InternFromString("\n");  // immortal enough: kept
  PyObject* joined = PyUnicode_Concat(text, newline);
  Py_DECREF(text);
  return joined;
}

}  // namespace

PyObject* read_last_n_lines(PyObject* /*self*/, PyObject* const* args, Py_ssize_t nargs,
                            PyObject* kwnames) {
  Call<5> call(FunctionId::kReadLastNLines, args, nargs, kwnames);
  if (!call.native()) return call.defer();
  PyObject* file_path = call[0];
  PyObject* n_object = call[1];
  std::int64_t n = 0;
  std::int64_t chunk_size = 0;
  const char* encoding = nullptr;
  const char* errors = nullptr;
  if (!PyUnicode_CheckExact(file_path) || !exact_int64(n_object, n) ||
      !exact_int64(call[2], chunk_size) || !codec_argument(call[3], encoding) ||
      !codec_argument(call[4], errors)) {
    return call.defer();
  }
  // open() and os.path.exists() see os.fsencode(file_path); paths that do
  // not encode or hold NUL take Python's own (ValueError-ish) paths.
  PyObject* encoded = PyUnicode_EncodeFSDefault(file_path);
  if (encoded == nullptr) {
    PyErr_Clear();
    return call.defer();
  }
  std::string path(PyBytes_AS_STRING(encoded), static_cast<std::size_t>(PyBytes_GET_SIZE(encoded)));
  Py_DECREF(encoded);
  if (path.find('\0') != std::string::npos) return call.defer();

  if (asserts_enabled()) {
    if (n < 0) {
      PyObject* message = PyUnicode_FromFormat("n must be non-negative. Got %S", n_object);
      if (message != nullptr) PyErr_SetObject(PyExc_AssertionError, message);
      Py_XDECREF(message);
      return nullptr;
    }
    if (chunk_size <= 0) {
      PyObject* message = PyUnicode_FromFormat("chunk_size must be positive. Got %S", call[2]);
      if (message != nullptr) PyErr_SetObject(PyExc_AssertionError, message);
      Py_XDECREF(message);
      return nullptr;
    }
    int status = 0;
    without_gil([&] {
      struct stat info {};
      status = ::stat(path.c_str(), &info);  // os.path.exists: follows links
    });
    if (status != 0) {
      PyObject* message = PyUnicode_FromFormat("File not found: %U", file_path);
      if (message != nullptr) PyErr_SetObject(PyExc_AssertionError, message);
      Py_XDECREF(message);
      return nullptr;
    }
  } else if (n < 0 || chunk_size <= 0) {
    return call.defer();  // without asserts: IndexError or an endless loop
  }
  if (n == 0) return PyList_New(0);

  std::vector<std::string> lines;
  sky::core::InterruptCheck check = SignalCheck().core_check();
  std::exception_ptr failure =
      without_gil([&] { lines = sky::core::read_last_n_lines(path, n, chunk_size, check); });
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const PythonErrorSet&) {
      // A signal handler raised inside SkyPilot's try: an OSError (such as
      // TimeoutError) is wrapped as the read's own errors are.
      if (PyErr_ExceptionMatches(PyExc_OSError)) return raise_failed_to_read(n_object, file_path);
      return nullptr;
    } catch (const sky::core::OsError& e) {
      errno = e.error_number();
      if (e.has_path()) {
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, file_path);
      } else {
        PyErr_SetFromErrno(PyExc_OSError);
      }
      return raise_failed_to_read(n_object, file_path);
    } catch (const std::out_of_range&) {
      PyErr_SetString(PyExc_IndexError, "list index out of range");
      return nullptr;
    } catch (...) {
      set_python_error(std::current_exception());
      return nullptr;
    }
  }

  if (lines.empty()) return PyList_New(0);  // empty file
  PyObject* result = PyList_New(static_cast<Py_ssize_t>(lines.size()));
  if (result == nullptr) return nullptr;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    PyObject* text = decode_line(lines[i], encoding, errors, i + 1 < lines.size());
    if (text == nullptr) {
      Py_DECREF(result);
      // Decoding runs inside SkyPilot's try: an OSError from a codec is
      // wrapped too; anything else (UnicodeDecodeError, LookupError) is not.
      if (PyErr_ExceptionMatches(PyExc_OSError)) {
        return raise_failed_to_read(n_object, file_path);
      }
      return nullptr;
    }
    PyList_SET_ITEM(result, static_cast<Py_ssize_t>(i), text);
  }
  return result;
}

}  // namespace sky_native
