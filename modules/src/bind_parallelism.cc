// get_parallel_threads and get_max_workers_for_file_mounts (SkyPilot's
// subprocess_utils) and sky-native's estimate_fd_for_directory, all
// METH_FASTCALL.
#include <Python.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <exception>
#include <optional>
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
#include "sky/functions/parallelism.h"

namespace sky_native {
namespace {

constexpr const char* kSubprocessUtils = "sky.utils.subprocess_utils";
constexpr int kDebug = 10;  // logging.DEBUG

// `cloud_str and cloud_str.lower() == 'kubernetes'` for None or an exact
// str: 1 or 0, -1 with an error set.
int is_kubernetes(PyObject* cloud_str) {
  if (cloud_str == nullptr || cloud_str == Py_None) return 0;
  if (PyUnicode_IS_ASCII(cloud_str)) {
    std::string_view text(static_cast<const char*>(PyUnicode_DATA(cloud_str)),
                          static_cast<std::size_t>(PyUnicode_GET_LENGTH(cloud_str)));
    return sky::core::is_kubernetes_ascii(text) ? 1 : 0;
  }
  // Unicode case mappings (KELVIN SIGN lowers to 'k'): ask str.lower().
  Ref lowered = steal(PyObject_CallMethod(cloud_str, "lower", nullptr));
  if (!lowered) return -1;
  return PyUnicode_Check(lowered.ptr()) &&
                 PyUnicode_CompareWithASCIIString(lowered.ptr(), "kubernetes") == 0
             ? 1
             : 0;
}

bool is_none_or_exact_str(PyObject* value) {
  return value == Py_None || PyUnicode_CheckExact(value);
}

}  // namespace

PyObject* get_parallel_threads(PyObject* /*self*/, PyObject* const* args, Py_ssize_t nargs,
                               PyObject* kwnames) {
  Call<FunctionId::kGetParallelThreads> call(args, nargs, kwnames);
  if (!call.native() || !is_none_or_exact_str(call[0])) return call.defer();
  int kubernetes = is_kubernetes(call[0]);
  if (kubernetes < 0) return nullptr;
  return PyLong_FromLongLong(
      sky::core::get_parallel_threads(sky::core::os_cpu_count(), kubernetes == 1));
}

namespace {

// SkyPilot's warning about a low limit, once per process (the flag is kept
// on SkyPilot's module, shared with its own calls): cold_paths.py. False
// with an error set, or with *missing_flag set when the module has no flag.
bool warn_low_limit_once(PyObject* module, long fd_limit, bool* missing_flag) {
  *missing_flag = false;
  Ref cold_paths = steal(PyImport_ImportModule("sky_native._cold_paths"));
  if (!cold_paths) return false;
  Ref warned = steal(
      PyObject_CallMethod(cold_paths.ptr(), "warn_low_fd_limit_once", "Ol", module, fd_limit));
  if (!warned) return false;
  *missing_flag = warned.ptr() == Py_False;
  return !*missing_flag;
}

// SkyPilot's `logger.debug(f'Using {max_workers} workers for file mounts.')`:
// the logger's level is asked here, the line is made by cold_paths.py only
// when it is enabled. False with an error set.
bool log_max_workers(PyObject* module, std::int64_t max_workers) {
  Ref logger = steal(PyObject_GetAttrString(module, "logger"));
  if (!logger) return false;
  Ref enabled = steal(PyObject_CallMethod(logger.ptr(), "isEnabledFor", "i", kDebug));
  if (!enabled) return false;
  int truth = PyObject_IsTrue(enabled.ptr());
  if (truth <= 0) return truth == 0;
  Ref cold_paths = steal(PyImport_ImportModule("sky_native._cold_paths"));
  if (!cold_paths) return false;
  Ref logged = steal(PyObject_CallMethod(cold_paths.ptr(), "log_max_workers", "OL", logger.ptr(),
                                         static_cast<long long>(max_workers)));
  return static_cast<bool>(logged);
}

}  // namespace

PyObject* get_max_workers_for_file_mounts(PyObject* /*self*/, PyObject* const* args,
                                          Py_ssize_t nargs, PyObject* kwnames) {
  Call<FunctionId::kGetMaxWorkersForFileMounts> call(args, nargs, kwnames);
  auto defer = [&]() { return call.defer(); };
  if (!call.native() || !PyDict_CheckExact(call[0]) || !is_none_or_exact_str(call[1])) {
    return defer();
  }
  PyObject* mounts = call[0];
  PyObject* cloud_str = call[1];
  // Everything the native path cannot mirror defers before any side effect.
  {
    Py_ssize_t position = 0;
    PyObject* key = nullptr;
    PyObject* value = nullptr;
    while (PyDict_Next(mounts, &position, &key, &value)) {
      if (!PyUnicode_CheckExact(value)) return defer();
    }
  }
  long fd_limit = 0;
  try {
    fd_limit = sky::core::soft_nofile_limit();
  } catch (...) {
    set_python_error(std::current_exception());
    return nullptr;
  }
  Ref module = steal(PyImport_ImportModule(kSubprocessUtils));
  if (!module) return nullptr;
  if (fd_limit < 1024) {
    bool missing_flag = false;
    if (!warn_low_limit_once(module.ptr(), fd_limit, &missing_flag)) {
      return missing_flag ? defer() : nullptr;
    }
  }

  // values() as they are now (a logging handler may have changed the dict).
  std::vector<Ref> owned;
  owned.reserve(static_cast<std::size_t>(PyDict_Size(mounts)));
  {
    Py_ssize_t position = 0;
    PyObject* key = nullptr;
    PyObject* value = nullptr;
    while (PyDict_Next(mounts, &position, &key, &value)) {
      // Only reachable after the warning: the original, seeing the flag
      // set, does the rest exactly.
      if (!PyUnicode_CheckExact(value)) return defer();
      owned.push_back(borrow(value));
    }
  }
  // os.fsencode of each; nullopt where it raises ValueError, which
  // os.path.isdir turns into False.
  std::vector<std::optional<std::string>> sources;
  sources.reserve(owned.size());
  for (const Ref& value : owned) {
    PyObject* encoded = nullptr;
    if (PyUnicode_FSConverter(value.ptr(), &encoded)) {
      Ref owned_encoded = steal(encoded);
      sources.emplace_back(std::in_place, PyBytes_AS_STRING(encoded),
                           static_cast<std::size_t>(PyBytes_GET_SIZE(encoded)));
    } else if (PyErr_ExceptionMatches(PyExc_ValueError)) {
      PyErr_Clear();
      sources.emplace_back();
    } else {
      return nullptr;
    }
  }

  std::int64_t fd_per_rsync = 0;
  sky::core::InterruptCheck check = SignalCheck().core_check();
  std::exception_ptr error =
      without_gil([&] { fd_per_rsync = sky::core::fd_per_rsync(sources, check); });
  if (error) {
    try {
      std::rethrow_exception(error);
    } catch (const sky::core::OsError& e) {
      // os.listdir's error: errno, strerror and the path object as given.
      std::size_t i = 0;
      while (i < sources.size() && sources[i] != e.path()) ++i;
      if (i < sources.size()) {
        errno = e.error_number();
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, owned[i].ptr());
        return nullptr;
      }
      set_python_error(error);
    } catch (...) {
      set_python_error(error);
    }
    return nullptr;
  }

  int kubernetes = is_kubernetes(cloud_str);
  if (kubernetes < 0) return nullptr;
  long long num_threads =
      sky::core::get_parallel_threads(sky::core::os_cpu_count(), kubernetes == 1);
  std::int64_t max_workers =
      sky::core::max_workers_for_file_mounts(fd_limit, fd_per_rsync, num_threads);

  if (!log_max_workers(module.ptr(), max_workers)) return nullptr;
  return PyLong_FromLongLong(max_workers);
}

// For a path PyUnicode_FSConverter refused: os.listdir(path)'s own error,
// whose message differs between versions (a null character: "embedded null
// byte" to 3.12, "listdir: embedded null character in path" in 3.13).
PyObject* listdir_error(PyObject* path) {
  PyObject* type = nullptr;
  PyObject* value = nullptr;
  PyObject* traceback = nullptr;
  PyErr_Fetch(&type, &value, &traceback);
  Ref os = steal(PyImport_ImportModule("os"));
  Ref listed = os ? steal(PyObject_CallMethod(os.ptr(), "listdir", "O", path)) : Ref();
  if (listed) {
    PyErr_Restore(type, value, traceback);  // listdir took it after all: the converter's
  } else {
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(traceback);
  }
  return nullptr;
}

PyObject* estimate_fd_for_directory(PyObject* /*self*/, PyObject* const* args, Py_ssize_t nargs,
                                    PyObject* kwnames) {
  Call<FunctionId::kEstimateFdForDirectory> call(args, nargs, kwnames);
  if (!call.native()) return call.defer();
  // os.fspath(path), which must give a str.
  Ref path = steal(PyOS_FSPath(call[0]));
  if (!path) return nullptr;
  if (!PyUnicode_Check(path.ptr())) {
    Ref type_name = steal(PyType_GetName(Py_TYPE(path.ptr())));  // type(path).__name__
    if (!type_name) return nullptr;
    PyErr_Format(PyExc_TypeError, "path must be str or os.PathLike returning str, not %U",
                 type_name.ptr());
    return nullptr;
  }
  // os.listdir's own conversion (UnicodeEncodeError, a null character).
  PyObject* encoded = nullptr;
  if (!PyUnicode_FSConverter(path.ptr(), &encoded)) return listdir_error(path.ptr());
  Ref owned_encoded = steal(encoded);
  std::string encoded_path(PyBytes_AS_STRING(encoded),
                           static_cast<std::size_t>(PyBytes_GET_SIZE(encoded)));
  std::int64_t estimate = 0;
  std::exception_ptr error =
      without_gil([&] { estimate = sky::core::estimate_fd_for_directory(encoded_path); });
  if (error) {
    set_python_error(error);
    return nullptr;
  }
  return PyLong_FromLongLong(estimate);
}

}  // namespace sky_native
