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
#include "sky/common/errors.h"
#include "sky/functions/file_tail.h"

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

// A global of SkyPilot's module as its code finds it (LOAD_GLOBAL: the
// module's globals, then builtins); a new reference, or nullptr with
// NameError set.
PyObject* load_global(PyObject* globals, const char* name) {
  PyObject* key = PyUnicode_InternFromString(name);
  if (key == nullptr) return nullptr;
  PyObject* value = PyDict_GetItemWithError(globals, key);
  if (value == nullptr && !PyErr_Occurred()) {
    PyObject* builtins = PyDict_GetItemString(globals, "__builtins__");
    if (builtins != nullptr && PyModule_Check(builtins)) builtins = PyModule_GetDict(builtins);
    if (builtins != nullptr && PyDict_Check(builtins))
      value = PyDict_GetItemWithError(builtins, key);
  }
  if (value == nullptr && !PyErr_Occurred()) {
    PyErr_Format(PyExc_NameError, "name '%U' is not defined", key);
  }
  Py_DECREF(key);
  return Py_XNewRef(value);
}

// Takes the current error out of the indicator, normalized, with its
// traceback attached to the exception (new references).
void fetch_normalized(PyObject*& type, PyObject*& value, PyObject*& traceback) {
  PyErr_Fetch(&type, &value, &traceback);
  PyErr_NormalizeException(&type, &value, &traceback);
  if (traceback != nullptr) PyException_SetTraceback(value, traceback);
}

// The with statement's exit on an exception (the current error):
// manager.__exit__(type, value, traceback) while the exception is handled.
// nullptr with the error set, or None when __exit__ swallowed it (SkyPilot's
// function then returns None).
PyObject* exit_with_error(PyObject* exit, PyObject* manager) {
  PyObject* type = nullptr;
  PyObject* value = nullptr;
  PyObject* traceback = nullptr;
  fetch_normalized(type, value, traceback);
  PyObject* handled = PyErr_GetHandledException();
  PyErr_SetHandledException(value);
  PyObject* swallowed = PyObject_CallFunctionObjArgs(exit, manager, type, value,
                                                     traceback ? traceback : Py_None, nullptr);
  PyErr_SetHandledException(handled);
  Py_XDECREF(handled);
  int truth = swallowed == nullptr ? -1 : PyObject_IsTrue(swallowed);
  Py_XDECREF(swallowed);
  if (truth != 0) {
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(traceback);
    return truth > 0 ? Py_NewRef(Py_None) : nullptr;
  }
  PyErr_Restore(type, value, traceback);
  return nullptr;
}

// f'Failed to read last {n} lines from {file_path}: {e}' (a new reference).
PyObject* failure_message(PyObject* n, PyObject* file_path, PyObject* e) {
  return PyUnicode_FromFormat("Failed to read last %S lines from %U: %S", n, file_path, e);
}

// The body of SkyPilot's handler, `with
// ux_utils.print_exception_no_traceback(): raise RuntimeError(f'Failed to
// read last {n} lines from {file_path}: {e}') from e`, with the names looked
// up in the globals of SkyPilot's function, so the context manager's side
// effects are SkyPilot's: it sets sys.tracebacklimit = 0 (unless
// SKYPILOT_DEBUG) and, as the raise leaves its block, never restores it, so
// the CLI prints the error as one line. Without SkyPilot's function, the
// RuntimeError alone.
PyObject* failed_to_read(PyObject* n, PyObject* file_path, PyObject* e) {
  PyObject* original = function(FunctionId::kReadLastNLines).original_function();
  if (original == nullptr || !PyFunction_Check(original)) {
    PyErr_Clear();
    PyObject* message = failure_message(n, file_path, e);
    PyObject* error = message ? PyObject_CallOneArg(PyExc_RuntimeError, message) : nullptr;
    Py_XDECREF(message);
    if (error == nullptr) return nullptr;
    PyException_SetCause(error, Py_NewRef(e));
    PyErr_SetObject(PyExc_RuntimeError, error);
    Py_DECREF(error);
    return nullptr;
  }
  PyObject* globals = PyFunction_GetGlobals(original);  // borrowed
  PyObject* ux_utils = load_global(globals, "ux_utils");
  PyObject* factory =
      ux_utils ? PyObject_GetAttrString(ux_utils, "print_exception_no_traceback") : nullptr;
  Py_XDECREF(ux_utils);
  PyObject* manager = factory ? PyObject_CallNoArgs(factory) : nullptr;
  Py_XDECREF(factory);
  if (manager == nullptr) return nullptr;
  // BEFORE_WITH: __enter__ and __exit__ looked up on the type.
  auto* manager_type = reinterpret_cast<PyObject*>(Py_TYPE(manager));
  PyObject* enter = PyObject_GetAttrString(manager_type, "__enter__");
  PyObject* exit = enter ? PyObject_GetAttrString(manager_type, "__exit__") : nullptr;
  PyObject* entered = exit ? PyObject_CallOneArg(enter, manager) : nullptr;
  Py_XDECREF(enter);
  PyObject* result = nullptr;
  if (entered != nullptr) {
    Py_DECREF(entered);
    PyObject* message = failure_message(n, file_path, e);
    PyObject* runtime_error = message ? load_global(globals, "RuntimeError") : nullptr;
    PyObject* error = runtime_error ? PyObject_CallOneArg(runtime_error, message) : nullptr;
    Py_XDECREF(runtime_error);
    Py_XDECREF(message);
    if (error != nullptr) {
      if (PyExceptionInstance_Check(error)) {
        PyException_SetCause(error, Py_NewRef(e));  // `from e`
        // Raised while e is handled: its context is e.
        PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(error)), error);
      } else {
        PyErr_SetString(PyExc_TypeError, "exceptions must derive from BaseException");
      }
      Py_DECREF(error);
    }
    result = exit_with_error(exit, manager);
  }
  Py_XDECREF(exit);
  Py_DECREF(manager);
  return result;
}

// Within SkyPilot's `except OSError as e:` (the current error is e): its
// handler runs with e as the exception being handled. nullptr with the
// error set (None when a patched context manager swallowed it).
PyObject* raise_failed_to_read(PyObject* n, PyObject* file_path) {
  PyObject* type = nullptr;
  PyObject* value = nullptr;
  PyObject* traceback = nullptr;
  fetch_normalized(type, value, traceback);
  Py_XDECREF(type);
  Py_XDECREF(traceback);
  PyObject* handled = PyErr_GetHandledException();
  PyErr_SetHandledException(value);
  PyObject* result = failed_to_read(n, file_path, value);
  PyErr_SetHandledException(handled);
  Py_XDECREF(handled);
  Py_DECREF(value);
  return result;
}

// Python's io.UnsupportedOperation (borrowed; nullptr with an error set).
PyObject* unsupported_operation() {
  static PyObject* type = nullptr;
  if (type == nullptr) {
    PyObject* io = PyImport_ImportModule("io");
    type = io ? PyObject_GetAttrString(io, "UnsupportedOperation") : nullptr;
    Py_XDECREF(io);
  }
  return type;
}

// line.decode(encoding, errors).rstrip('\r') [+ '\n'].
PyObject* decode_line(std::string_view line, const char* encoding, const char* errors,
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

// True for the names PyUnicode_Decode sends straight to its UTF-8 decoder
// (bytes.decode takes that path too), used as given.
bool is_utf8_name(std::string_view encoding) {
  return encoding == "utf-8" || encoding == "utf8" || encoding == "UTF-8" || encoding == "UTF8" ||
         encoding == "utf_8";
}

// Error handlers CPython's UTF-8 decoder applies itself, never through the
// codecs registry, so no handler sees (and may depend on) the bytes around
// an error. ('strict' is looked up in the registry, where it may be
// replaced: it takes the general path.)
bool is_builtin_utf8_handler(std::string_view errors) {
  return errors == "replace" || errors == "ignore" || errors == "surrogateescape";
}

// The UTF-8 fast path of decode_line: one decode, straight from the read
// buffer, of the line without its trailing '\r' bytes and with its '\n' --
// the same text, since '\r' and '\n' are single bytes that end any invalid
// sequence before them and decode to themselves, unless the decode itself
// ends in '\r' (errors='ignore' dropped the bytes after one): that rare
// line takes decode_line. A line that ends in '\r' gets its '\n' written
// over the first of them for the decode, and the byte put back after (the
// buffer is ours). nullptr with the decoder's error set on failure.
PyObject* decode_utf8_line(sky::core::TailLines& tail, std::size_t i, const char* errors,
                           bool add_newline) {
  const sky::core::TailLines::Line& line = tail.lines[i];
  char* bytes = tail.bytes.get();
  std::size_t end = line.end;
  while (end > line.begin && bytes[end - 1] == '\r') --end;
  PyObject* text = nullptr;
  if (add_newline) {
    char replaced = bytes[end];  // the '\n' itself unless '\r' was stripped
    bytes[end] = '\n';
    text = PyUnicode_DecodeUTF8(bytes + line.begin, static_cast<Py_ssize_t>(end + 1 - line.begin),
                                errors);
    bytes[end] = replaced;
  } else {
    text =
        PyUnicode_DecodeUTF8(bytes + line.begin, static_cast<Py_ssize_t>(end - line.begin), errors);
  }
  if (text == nullptr) return nullptr;
  Py_ssize_t last = PyUnicode_GET_LENGTH(text) - (add_newline ? 2 : 1);
  if (last >= 0 && PyUnicode_READ_CHAR(text, last) == '\r') {
    Py_DECREF(text);
    return decode_line(tail.line(i), "utf-8", errors, add_newline);
  }
  return text;
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

  const bool asserts = asserts_enabled();
  if (asserts) {
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
  } else if (n < 0 || chunk_size <= 0) {
    return call.defer();  // without asserts: IndexError or an endless loop
  }

  // os.path.exists's stat (follows links) and the read, in one release of
  // the GIL; n == 0 reads nothing.
  bool exists = true;
  sky::core::TailLines tail;
  sky::core::InterruptCheck check = SignalCheck().core_check();
  std::exception_ptr failure = without_gil([&] {
    if (asserts) {
      struct stat info {};
      exists = ::stat(path.c_str(), &info) == 0;
      if (!exists) return;
    }
    tail = sky::core::read_tail_lines(path, n, chunk_size, check);
  });
  if (!exists) {
    PyObject* message = PyUnicode_FromFormat("File not found: %U", file_path);
    if (message != nullptr) PyErr_SetObject(PyExc_AssertionError, message);
    Py_XDECREF(message);
    return nullptr;
  }
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
    } catch (const sky::core::NotSeekable& e) {
      PyObject* type = unsupported_operation();
      if (type == nullptr) return nullptr;
      PyErr_SetString(type, e.what());
      return raise_failed_to_read(n_object, file_path);
    } catch (const std::out_of_range&) {
      PyErr_SetString(PyExc_IndexError, "list index out of range");
      return nullptr;
    } catch (...) {
      set_python_error(std::current_exception());
      return nullptr;
    }
  }

  std::size_t count = tail.lines.size();
  if (count == 0) return PyList_New(0);  // empty file
  PyObject* result = PyList_New(static_cast<Py_ssize_t>(count));
  if (result == nullptr) return nullptr;
  bool utf8 = is_utf8_name(encoding) && is_builtin_utf8_handler(errors);
  for (std::size_t i = 0; i < count; ++i) {
    bool add_newline = i + 1 < count;
    PyObject* text = nullptr;
    if (utf8) {
      text = decode_utf8_line(tail, i, errors, add_newline);
    } else {
      text = decode_line(tail.line(i), encoding, errors, add_newline);
    }
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
