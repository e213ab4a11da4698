// read_last_n_lines: SkyPilot's assert checks, the backwards read in the
// core (GIL released; signal handlers run between chunks and on EINTR, as
// in SkyPilot's loop), then Python's own codecs for every selected line.
// SkyPilot's `except OSError` handler runs as Python (cold_paths.py).
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
#include "cpython_private.h"
#include "dispatch.h"
#include "exceptions.h"
#include "gil.h"
#include "py_ref.h"
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
    Ref level = steal(flags ? PyObject_GetAttrString(flags, "optimize") : nullptr);
    optimize = level ? static_cast<int>(PyLong_AsLong(level.ptr())) : 0;
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

// Within SkyPilot's `except OSError as e:` (the current error is e): its
// handler, sky_native._cold_paths.read_failed, runs with e as the exception
// being handled, as in Python. nullptr with the error set (None when a
// patched context manager swallowed it).
PyObject* raise_failed_to_read(PyObject* n, PyObject* file_path) {
  PyObject* type = nullptr;
  PyObject* value = nullptr;
  PyObject* traceback = nullptr;
  PyErr_Fetch(&type, &value, &traceback);
  PyErr_NormalizeException(&type, &value, &traceback);
  Ref error_type = steal(type);
  Ref error = steal(value);
  Ref error_traceback = steal(traceback);
  if (error_traceback) PyException_SetTraceback(error.ptr(), error_traceback.ptr());
  Ref handled = steal(PyErr_GetHandledException());
  PyErr_SetHandledException(error.ptr());
  PyObject* original = function(FunctionId::kReadLastNLines).original_function();
  if (original == nullptr) PyErr_Clear();  // no SkyPilot function: the RuntimeError alone
  Ref cold_paths = steal(PyImport_ImportModule("sky_native._cold_paths"));
  PyObject* result = cold_paths ? PyObject_CallMethod(cold_paths.ptr(), "read_failed", "OOOO",
                                                      original != nullptr ? original : Py_None, n,
                                                      file_path, error.ptr())
                                : nullptr;
  PyErr_SetHandledException(handled.ptr());
  return result;
}

// Raises AssertionError(message) (a new reference, or nullptr with an error
// set): SkyPilot's failed asserts. Always nullptr.
PyObject* assertion_error(PyObject* message) {
  Ref owned = steal(message);
  if (owned) PyErr_SetObject(PyExc_AssertionError, owned.ptr());
  return nullptr;
}

// Python's io.UnsupportedOperation (borrowed; nullptr with an error set).
PyObject* unsupported_operation() {
  static PyObject* type = nullptr;
  if (type == nullptr) {
    Ref io = steal(PyImport_ImportModule("io"));
    type = io ? PyObject_GetAttrString(io.ptr(), "UnsupportedOperation") : nullptr;
  }
  return type;
}

// line.decode(encoding, errors).rstrip('\r') [+ '\n'].
PyObject* decode_line(std::string_view line, const char* encoding, const char* errors,
                      bool add_newline) {
  Ref text =
      steal(PyUnicode_Decode(line.data(), static_cast<Py_ssize_t>(line.size()), encoding, errors));
  if (!text) return nullptr;
  if (!PyUnicode_CheckExact(text.ptr())) {
    // A codec returned a str subclass: let str's own methods decide.
    Ref stripped = steal(PyObject_CallMethod(text.ptr(), "rstrip", "s", "\r"));
    if (!stripped || !add_newline) return stripped.release().ptr();
    Ref newline = steal(PyUnicode_FromOrdinal('\n'));
    return newline ? PyNumber_Add(stripped.ptr(), newline.ptr()) : nullptr;
  }
  Py_ssize_t length = PyUnicode_GET_LENGTH(text.ptr());
  Py_ssize_t kept = length;
  while (kept > 0 && PyUnicode_READ_CHAR(text.ptr(), kept - 1) == '\r') --kept;
  if (kept < length) {
    text = steal(PyUnicode_Substring(text.ptr(), 0, kept));
    if (!text) return nullptr;
  }
  if (!add_newline) return text.release().ptr();
  static PyObject* newline = PyUnicode_InternFromString("\n");  // immortal enough: kept
  return PyUnicode_Concat(text.ptr(), newline);
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
  Ref text;
  if (add_newline) {
    char replaced = bytes[end];  // the '\n' itself unless '\r' was stripped
    bytes[end] = '\n';
    text = steal(PyUnicode_DecodeUTF8(bytes + line.begin,
                                      static_cast<Py_ssize_t>(end + 1 - line.begin), errors));
    bytes[end] = replaced;
  } else {
    text = steal(PyUnicode_DecodeUTF8(bytes + line.begin, static_cast<Py_ssize_t>(end - line.begin),
                                      errors));
  }
  if (!text) return nullptr;
  Py_ssize_t last = PyUnicode_GET_LENGTH(text.ptr()) - (add_newline ? 2 : 1);
  if (last >= 0 && PyUnicode_READ_CHAR(text.ptr(), last) == '\r') {
    return decode_line(tail.line(i), "utf-8", errors, add_newline);
  }
  return text.release().ptr();
}

}  // namespace

PyObject* read_last_n_lines(PyObject* /*self*/, PyObject* const* args, Py_ssize_t nargs,
                            PyObject* kwnames) {
  Call<FunctionId::kReadLastNLines> call(args, nargs, kwnames);
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
  Ref encoded = steal(PyUnicode_EncodeFSDefault(file_path));
  if (!encoded) {
    PyErr_Clear();
    return call.defer();
  }
  std::string path(PyBytes_AS_STRING(encoded.ptr()),
                   static_cast<std::size_t>(PyBytes_GET_SIZE(encoded.ptr())));
  if (path.find('\0') != std::string::npos) return call.defer();

  const bool asserts = asserts_enabled();
  if (asserts) {
    if (n < 0) {
      return assertion_error(PyUnicode_FromFormat("n must be non-negative. Got %S", n_object));
    }
    if (chunk_size <= 0) {
      return assertion_error(PyUnicode_FromFormat("chunk_size must be positive. Got %S", call[2]));
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
  if (!exists) return assertion_error(PyUnicode_FromFormat("File not found: %U", file_path));
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
  Ref result = steal(PyList_New(static_cast<Py_ssize_t>(count)));
  if (!result) return nullptr;
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
      // Decoding runs inside SkyPilot's try: an OSError from a codec is
      // wrapped too; anything else (UnicodeDecodeError, LookupError) is not.
      if (PyErr_ExceptionMatches(PyExc_OSError)) {
        return raise_failed_to_read(n_object, file_path);
      }
      return nullptr;
    }
    PyList_SET_ITEM(result.ptr(), static_cast<Py_ssize_t>(i), text);
  }
  return result.release().ptr();
}

}  // namespace sky_native
