// get_cpu_count and get_mem_size_gb. The fast paths are the environment
// overrides that parse and the plain host reads; every error SkyPilot wraps
// (and the sys.tracebacklimit side effect of its ux_utils wrapper), a mocked
// dependency and anything unusual go to SkyPilot's Python original.
#include <Python.h>

#include <cmath>
#include <optional>
#include <string_view>

#include "bindings.h"
#include "cpython_private.h"
#include "dispatch.h"
#include "gil.h"
#include "py_ref.h"
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
Env read_env(PyObject* key, Ref& value) {
  Ref environ = steal(PyObject_GetAttr(state.os_module, state.environ_name));
  if (!environ) {
    PyErr_Clear();
    return Env::kDefer;
  }
  Env result = Env::kDefer;
  if (reinterpret_cast<PyObject*>(Py_TYPE(environ.ptr())) == state.environ_type) {
    Ref data = steal(PyObject_GetAttr(environ.ptr(), state.data_name));
    if (data && PyDict_CheckExact(data.ptr())) {
      PyObject* raw = PyDict_GetItemWithError(data.ptr(), key);  // borrowed
      if (raw == nullptr) {
        result = PyErr_Occurred() ? Env::kDefer : Env::kUnset;
      } else if (PyBytes_CheckExact(raw)) {
        value =
            steal(PyUnicode_DecodeFSDefaultAndSize(PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw)));
        if (value) result = Env::kSet;
      }
    }
  }
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
  Ref psutil = steal(PyImport_GetModule(state.psutil_name));
  if (!psutil) {
    if (!PyErr_Occurred()) return true;
    PyErr_Clear();
    return false;
  }
  Ref path = steal(PyObject_GetAttr(psutil.ptr(), state.procfs_name));
  if (!path) {
    PyErr_Clear();
    return false;
  }
  return PyUnicode_CheckExact(path.ptr()) &&
         PyUnicode_CompareWithASCIIString(path.ptr(), "/proc") == 0;
}

}  // namespace

PyObject* get_cpu_count(PyObject* /*self*/, PyObject* const* args, Py_ssize_t nargs,
                        PyObject* kwnames) {
  Call<FunctionId::kGetCpuCount> call(args, nargs, kwnames);
  auto original = [&] { return call.defer(); };
  if (!call.native()) return original();
  Ref value;
  switch (read_env(state.cpu_key, value)) {
    case Env::kDefer:
      return original();
    case Env::kSet: {
      std::optional<double> parsed = parse_str(value.ptr());
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
  Call<FunctionId::kGetMemSizeGb> call(args, nargs, kwnames);
  auto original = [&] { return call.defer(); };
  if (!call.native()) return original();
  // The GB variable wins when set, even when its value is invalid.
  for (PyObject* key : {state.memory_gb_key, state.memory_bytes_key}) {
    Ref value;
    switch (read_env(key, value)) {
      case Env::kDefer:
        return original();
      case Env::kSet: {
        std::optional<double> parsed = parse_str(value.ptr());
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
  install_unicode_tables();
  state.os_module = PyImport_ImportModule("os");
  if (state.os_module == nullptr) throw pybind11::error_already_set();
  state.environ_name = interned("environ");
  state.data_name = interned(kEnvironData);
  state.psutil_name = interned("psutil");
  state.procfs_name = interned("PROCFS_PATH");
  Ref environ = steal(PyObject_GetAttr(state.os_module, state.environ_name));
  if (!environ) throw pybind11::error_already_set();
  state.environ_type = Py_NewRef(reinterpret_cast<PyObject*>(Py_TYPE(environ.ptr())));
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
