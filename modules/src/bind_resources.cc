// get_cpu_count and get_mem_size_gb. The fast paths are the environment
// overrides that parse and the plain host reads; every error SkyPilot wraps
// (and the sys.tracebacklimit side effect of its ux_utils wrapper), a mocked
// dependency and anything unusual go to SkyPilot's Python original.
#include <Python.h>

#include <cmath>
#include <optional>
#include <string_view>

#include "bindings.h"
#include "dispatch.h"
#include "gil.h"
#include "sky/functions/python_float.h"
#include "sky/functions/resources.h"

namespace sky_native {
namespace {

// Interpreter-lifetime references, set once by bind_resources (leaked on
// purpose: no Python object is released after finalization).
struct EnvironState {
  PyObject* os_module = nullptr;
  PyObject* environ_type = nullptr;  // type(os.environ) at start-up
  PyObject* environ_name = nullptr;
  PyObject* data_name = nullptr;
  PyObject* cpu_key = nullptr;        // b'SKYPILOT_POD_CPU_CORE_LIMIT'
  PyObject* memory_gb_key = nullptr;  // b'SKYPILOT_POD_MEMORY_GB_LIMIT'
  PyObject* memory_bytes_key = nullptr;
  PyObject* psutil_name = nullptr;
  PyObject* procfs_name = nullptr;
};
EnvironState state;

enum class Env { kUnset, kSet, kDefer };

// os.getenv(name) as SkyPilot calls it: os.environ reads its `_data` dict
// of bytes and decodes with the filesystem encoding and surrogateescape.
// Reading that dict (not getenv(3)) sees exactly what os.environ holds.
// kDefer when os.environ is not the start-up mapping (a test replaced it) or
// an error occurred (cleared).
Env read_env(PyObject* key, PyObject** value) {
  PyObject* environ = PyObject_GetAttr(state.os_module, state.environ_name);
  if (environ == nullptr) {
    PyErr_Clear();
    return Env::kDefer;
  }
  Env result = Env::kDefer;
  if (reinterpret_cast<PyObject*>(Py_TYPE(environ)) == state.environ_type) {
    PyObject* data = PyObject_GetAttr(environ, state.data_name);
    if (data != nullptr && PyDict_CheckExact(data)) {
      PyObject* raw = PyDict_GetItemWithError(data, key);  // borrowed
      if (raw == nullptr) {
        result = PyErr_Occurred() ? Env::kDefer : Env::kUnset;
      } else if (PyBytes_CheckExact(raw)) {
        *value = PyUnicode_DecodeFSDefaultAndSize(PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw));
        if (*value != nullptr) result = Env::kSet;
      }
    }
    Py_XDECREF(data);
  }
  Py_DECREF(environ);
  if (result == Env::kDefer) PyErr_Clear();
  return result;
}

// float(value) for an exact str; nullopt where float() raises (lone
// surrogates included: they cannot be UTF-8 and float() rejects them).
std::optional<double> parse_str(PyObject* value) {
  Py_ssize_t length = 0;
  const char* utf8 = PyUnicode_AsUTF8AndSize(value, &length);
  if (utf8 == nullptr) {
    PyErr_Clear();
    return std::nullopt;
  }
  return sky::core::parse_python_float(std::string_view(utf8, static_cast<std::size_t>(length)));
}

const sky::core::ResourceSources& host_sources() {
  static const sky::core::ResourceSources sources;
  return sources;
}

// psutil reads f"{psutil.PROCFS_PATH}/meminfo": true while that is the
// default (or psutil is not imported yet).
bool default_procfs() {
  PyObject* psutil = PyImport_GetModule(state.psutil_name);
  if (psutil == nullptr) {
    if (!PyErr_Occurred()) return true;
    PyErr_Clear();
    return false;
  }
  PyObject* path = PyObject_GetAttr(psutil, state.procfs_name);
  Py_DECREF(psutil);
  if (path == nullptr) {
    PyErr_Clear();
    return false;
  }
  bool standard =
      PyUnicode_CheckExact(path) && PyUnicode_CompareWithASCIIString(path, "/proc") == 0;
  Py_DECREF(path);
  return standard;
}

}  // namespace

PyObject* get_cpu_count(PyObject* /*self*/, PyObject* const* args, Py_ssize_t nargs,
                        PyObject* kwnames) {
  Call<0> call(FunctionId::kGetCpuCount, args, nargs, kwnames);
  auto original = [&] { return call.defer(); };
  if (!call.native()) return original();
  PyObject* value = nullptr;
  switch (read_env(state.cpu_key, &value)) {
    case Env::kDefer:
      return original();
    case Env::kSet: {
      std::optional<double> parsed = parse_str(value);
      Py_DECREF(value);
      // int(nan)'s ValueError is wrapped by SkyPilot as a parse error.
      if (!parsed || std::isnan(*parsed)) return original();
      return PyLong_FromDouble(*parsed);  // OverflowError for +-inf, unwrapped
    }
    case Env::kUnset:
      break;
  }
  sky::core::CpuCount count;
  // A core failure lets SkyPilot's Python produce the exact error.
  if (without_gil([&] { count = sky::core::cpu_count(host_sources()); })) return original();
  switch (count.status) {
    case sky::core::CpuCount::Status::kUndetermined:
      return original();  // min(None, ...) raises TypeError
    case sky::core::CpuCount::Status::kZeroDivision:
      PyErr_SetString(PyExc_ZeroDivisionError, "float division by zero");
      return nullptr;
    case sky::core::CpuCount::Status::kBadLimit:  // int(nan) / int(inf) raise
    case sky::core::CpuCount::Status::kOk:
      break;
  }
  return PyLong_FromDouble(count.count);
}

PyObject* get_mem_size_gb(PyObject* /*self*/, PyObject* const* args, Py_ssize_t nargs,
                          PyObject* kwnames) {
  Call<0> call(FunctionId::kGetMemSizeGb, args, nargs, kwnames);
  auto original = [&] { return call.defer(); };
  if (!call.native()) return original();
  // The GB variable wins when set, even when its value is invalid.
  for (PyObject* key : {state.memory_gb_key, state.memory_bytes_key}) {
    PyObject* value = nullptr;
    switch (read_env(key, &value)) {
      case Env::kDefer:
        return original();
      case Env::kSet: {
        std::optional<double> parsed = parse_str(value);
        Py_DECREF(value);
        if (!parsed) return original();  // SkyPilot's wrapped ValueError
        // float(v) / (1024**3): the int divisor converts exactly.
        return PyFloat_FromDouble(key == state.memory_gb_key ? *parsed : *parsed / 1073741824.0);
      }
      case Env::kUnset:
        break;
    }
  }
  if (!default_procfs()) return original();
  std::optional<double> gib;
  if (without_gil([&] { gib = sky::core::mem_size_gb(host_sources()); }) || !gib) {
    return original();
  }
  return PyFloat_FromDouble(*gib);
}

namespace {

PyObject* interned(const char* text) {
  PyObject* name = PyUnicode_InternFromString(text);
  if (name == nullptr) throw pybind11::error_already_set();
  return name;
}

PyObject* bytes(const char* text) {
  PyObject* value = PyBytes_FromString(text);
  if (value == nullptr) throw pybind11::error_already_set();
  return value;
}

}  // namespace

void init_resources(pybind11::module_& m) {
  state.os_module = PyImport_ImportModule("os");
  if (state.os_module == nullptr) throw pybind11::error_already_set();
  state.environ_name = interned("environ");
  state.data_name = interned("_data");
  state.psutil_name = interned("psutil");
  state.procfs_name = interned("PROCFS_PATH");
  PyObject* environ = PyObject_GetAttr(state.os_module, state.environ_name);
  if (environ == nullptr) throw pybind11::error_already_set();
  state.environ_type = reinterpret_cast<PyObject*>(Py_TYPE(environ));
  Py_INCREF(state.environ_type);
  Py_DECREF(environ);
  state.cpu_key = bytes("SKYPILOT_POD_CPU_CORE_LIMIT");
  state.memory_gb_key = bytes("SKYPILOT_POD_MEMORY_GB_LIMIT");
  state.memory_bytes_key = bytes("SKYPILOT_POD_MEMORY_BYTES_LIMIT");

  m.def(
      "_parse_python_float",
      [](const pybind11::str& text) -> pybind11::object {
        std::optional<double> parsed = parse_str(text.ptr());
        if (!parsed) return pybind11::none();
        return pybind11::float_(*parsed);
      },
      pybind11::arg("text"), "Test hook: float(text), or None where float() raises.");
}

}  // namespace sky_native
