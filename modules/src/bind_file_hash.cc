// hash_file: SkyPilot's order -- open(path, 'rb') first (its exact OSError),
// then hashlib.new(hash_alg) (hashlib's own validation and object), then the
// whole file into that object in 262,144-byte blocks read into one reused
// buffer with the GIL released around each read; hashlib's update releases
// the GIL itself while it hashes a block. Signal handlers run where
// SkyPilot's loop runs them: after each block, and when open(2) or read(2)
// is interrupted (a FIFO, a pipe, a slow device).
#include <Python.h>

#include <cerrno>
#include <exception>
#include <memory>
#include <optional>
#include <string>

#include "bindings.h"
#include "dispatch.h"
#include "exceptions.h"
#include "gil.h"
#include "py_ref.h"
#include "signal_check.h"
#include "sky/common/errors.h"
#include "sky/functions/input_file.h"

namespace sky_native {
namespace {

// SkyPilot reads in blocks of 2**18 bytes.
constexpr std::size_t kBlockSize = 262144;

// Feeds the rest of `file` to hashlib_object.update. Returns false with an
// error set.
bool feed(sky::core::InputFile& file, PyObject* hashlib_object,
          const sky::core::InterruptCheck& check) {
  static PyObject* update_name = PyUnicode_InternFromString("update");
  if (update_name == nullptr) return false;
  std::unique_ptr<char[]> block(new char[kBlockSize]);
  while (true) {
    std::size_t size = 0;
    std::exception_ptr failure =
        without_gil([&] { size = file.read(block.get(), kBlockSize, check); });
    if (failure) {
      set_python_error(failure);
      return false;
    }
    if (size == 0) return true;
    Ref view =
        steal(PyMemoryView_FromMemory(block.get(), static_cast<Py_ssize_t>(size), PyBUF_READ));
    if (!view) return false;
    PyObject* call_args[] = {hashlib_object, view.ptr()};
    Ref result = steal(PyObject_VectorcallMethod(update_name, call_args,
                                                 2 | PY_VECTORCALL_ARGUMENTS_OFFSET, nullptr));
    // A view kept by update would see the next block: release it now.
    Ref released = steal(PyObject_CallMethod(view.ptr(), "release", nullptr));
    if (!result || !released) return false;
    // SkyPilot's `while True:` runs the handlers before the next read.
    if (PyErr_CheckSignals() < 0) return false;
  }
}

// hashlib.new(hash_alg): its exact errors and object.
PyObject* hashlib_new(PyObject* hash_alg) {
  Ref hashlib = steal(PyImport_ImportModule("hashlib"));
  if (!hashlib) return nullptr;
  return PyObject_CallMethod(hashlib.ptr(), "new", "O", hash_alg);
}

}  // namespace

PyObject* hash_file(PyObject* /*self*/, PyObject* const* args, Py_ssize_t nargs,
                    PyObject* kwnames) {
  Call<FunctionId::kHashFile> call(args, nargs, kwnames);
  if (!call.native() || !PyUnicode_CheckExact(call[0])) return call.defer();
  PyObject* path_object = call[0];
  Ref encoded = steal(PyUnicode_EncodeFSDefault(path_object));
  if (!encoded) {
    PyErr_Clear();
    return call.defer();
  }
  std::string path(PyBytes_AS_STRING(encoded.ptr()),
                   static_cast<std::size_t>(PyBytes_GET_SIZE(encoded.ptr())));
  if (path.find('\0') != std::string::npos) return call.defer();

  sky::core::InterruptCheck check = SignalCheck().core_check();
  std::optional<sky::core::InputFile> file;
  std::exception_ptr open_failure =
      without_gil([&] { file = sky::core::InputFile::open(path, check); });
  if (open_failure) {
    try {
      std::rethrow_exception(open_failure);
    } catch (const sky::core::OsError& e) {
      // open()'s error carries the path object as given.
      errno = e.error_number();
      return PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path_object);
    } catch (...) {
      set_python_error(std::current_exception());
      return nullptr;
    }
  }
  Ref hashlib_object = steal(hashlib_new(call[1]));
  if (!hashlib_object) return nullptr;
  if (!feed(*file, hashlib_object.ptr(), check)) return nullptr;
  return hashlib_object.release().ptr();
}

}  // namespace sky_native
