// hash_file: open first (exact OSError), hashlib.new(hash_alg) for hashlib's
// own validation and naming, then the whole file through OpenSSL with the GIL
// released. The result is a HASH object that behaves as hashlib's does
// (name, digest_size, block_size, update, copy, digest, hexdigest).
#include <Python.h>

#include <array>
#include <cerrno>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bindings.h"
#include "exceptions.h"
#include "fallback.h"
#include "fastcall.h"
#include "gil.h"
#include "sky/core/errors.h"
#include "sky/core/file_hash.h"

namespace sky_native {
namespace {

constexpr const char* kName = "hash_file";
constexpr std::array<std::string_view, 2> kParameters{"path", "hash_alg"};
// hashlib releases the GIL for updates of at least this many bytes.
constexpr Py_ssize_t kGilMinSize = 2048;

// The Python object: a core Hasher, hashlib's name for it, and a lock that
// serialises use of the context while the GIL is released (as _hashlib).
struct HashObject {
  // clang-format off
  PyObject_HEAD
      // clang-format on
      sky::core::Hasher* hasher;
  PyObject* name;
  PyThread_type_lock lock;
};

PyTypeObject* hash_type = nullptr;

HashObject* as_hash(PyObject* self) { return reinterpret_cast<HashObject*>(self); }

// Takes the object's lock; waits for it without the GIL (ENTER_HASHLIB).
void enter(HashObject* self) {
  if (!PyThread_acquire_lock(self->lock, 0)) {
    without_gil([&] { PyThread_acquire_lock(self->lock, 1); });
  }
}

void leave(HashObject* self) { PyThread_release_lock(self->lock); }

// A new HASH object owning `hasher`; steals nothing.
PyObject* new_hash(sky::core::Hasher&& hasher, PyObject* name) {
  auto* self = PyObject_New(HashObject, hash_type);
  if (self == nullptr) return nullptr;
  self->hasher = nullptr;
  self->name = Py_NewRef(name);
  self->lock = PyThread_allocate_lock();
  if (self->lock == nullptr) {
    Py_DECREF(self);
    PyErr_SetString(PyExc_MemoryError, "unable to allocate lock");
    return nullptr;
  }
  try {
    self->hasher = new sky::core::Hasher(std::move(hasher));
  } catch (...) {
    Py_DECREF(self);
    set_python_error(std::current_exception());
    return nullptr;
  }
  return reinterpret_cast<PyObject*>(self);
}

void hash_dealloc(PyObject* object) {
  HashObject* self = as_hash(object);
  PyTypeObject* type = Py_TYPE(object);
  delete self->hasher;
  Py_XDECREF(self->name);
  if (self->lock != nullptr) PyThread_free_lock(self->lock);
  PyObject_Free(object);
  Py_DECREF(type);
}

PyObject* hash_repr(PyObject* object) {
  return PyUnicode_FromFormat("<%U %s object @ %p>", as_hash(object)->name,
                              Py_TYPE(object)->tp_name, object);
}

PyObject* hash_update(PyObject* object, PyObject* data) {
  HashObject* self = as_hash(object);
  // hashlib's GET_BUFFER_VIEW_OR_ERROUT messages.
  if (PyUnicode_Check(data)) {
    PyErr_SetString(PyExc_TypeError, "Strings must be encoded before hashing");
    return nullptr;
  }
  if (!PyObject_CheckBuffer(data)) {
    PyErr_SetString(PyExc_TypeError, "object supporting the buffer API required");
    return nullptr;
  }
  Py_buffer view;
  if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) == -1) return nullptr;
  if (view.ndim > 1) {
    PyErr_SetString(PyExc_BufferError, "Buffer must be single dimension");
    PyBuffer_Release(&view);
    return nullptr;
  }
  std::exception_ptr failure;
  if (view.len >= kGilMinSize) {
    failure = without_gil([&] {
      PyThread_acquire_lock(self->lock, 1);
      try {
        self->hasher->update(view.buf, static_cast<std::size_t>(view.len));
      } catch (...) {
        PyThread_release_lock(self->lock);
        throw;
      }
      PyThread_release_lock(self->lock);
    });
  } else {
    enter(self);
    try {
      self->hasher->update(view.buf, static_cast<std::size_t>(view.len));
    } catch (...) {
      failure = std::current_exception();
    }
    leave(self);
  }
  PyBuffer_Release(&view);
  if (failure) {
    set_python_error(failure);
    return nullptr;
  }
  Py_RETURN_NONE;
}

template <typename Body>
PyObject* with_lock(PyObject* object, Body&& body) {
  HashObject* self = as_hash(object);
  enter(self);
  PyObject* result = translate_exceptions(std::forward<Body>(body));
  leave(self);
  return result;
}

PyObject* hash_copy(PyObject* object, PyObject* /*unused*/) {
  HashObject* self = as_hash(object);
  std::unique_ptr<sky::core::Hasher> copy;
  PyObject* failed = with_lock(object, [&]() -> PyObject* {
    copy = std::make_unique<sky::core::Hasher>(*self->hasher);
    Py_RETURN_NONE;
  });
  if (failed == nullptr) return nullptr;
  Py_DECREF(failed);
  return new_hash(std::move(*copy), self->name);
}

PyObject* hash_digest(PyObject* object, PyObject* /*unused*/) {
  return with_lock(object, [&]() -> PyObject* {
    std::string digest = as_hash(object)->hasher->digest();
    return PyBytes_FromStringAndSize(digest.data(), static_cast<Py_ssize_t>(digest.size()));
  });
}

PyObject* hash_hexdigest(PyObject* object, PyObject* /*unused*/) {
  return with_lock(object, [&]() -> PyObject* {
    std::string hex = as_hash(object)->hasher->hexdigest();
    return PyUnicode_FromStringAndSize(hex.data(), static_cast<Py_ssize_t>(hex.size()));
  });
}

PyObject* hash_get_name(PyObject* object, void* /*closure*/) {
  return Py_NewRef(as_hash(object)->name);
}

PyObject* hash_get_digest_size(PyObject* object, void* /*closure*/) {
  return PyLong_FromSize_t(as_hash(object)->hasher->digest_size());
}

PyObject* hash_get_block_size(PyObject* object, void* /*closure*/) {
  return PyLong_FromSize_t(as_hash(object)->hasher->block_size());
}

template <typename Function>
PyCFunction as_cfunction(Function function) noexcept {
  return reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(function));
}

PyMethodDef hash_methods[] = {
    {"copy", as_cfunction(hash_copy), METH_NOARGS, "Return a copy of the hash object."},
    {"digest", as_cfunction(hash_digest), METH_NOARGS,
     "Return the digest value as a bytes object."},
    {"hexdigest", as_cfunction(hash_hexdigest), METH_NOARGS,
     "Return the digest value as a string of hexadecimal digits."},
    {"update", as_cfunction(hash_update), METH_O,
     "Update this hash object's state with the "
     "provided string."},
    {nullptr, nullptr, 0, nullptr},
};

PyGetSetDef hash_getset[] = {
    {"name", hash_get_name, nullptr, nullptr, nullptr},
    {"digest_size", hash_get_digest_size, nullptr, nullptr, nullptr},
    {"block_size", hash_get_block_size, nullptr, nullptr, nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr},
};

PyType_Slot hash_slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(hash_dealloc)},
    {Py_tp_repr, reinterpret_cast<void*>(hash_repr)},
    {Py_tp_methods, hash_methods},
    {Py_tp_getset, hash_getset},
    {Py_tp_doc,
     const_cast<char*>("A hash object as returned by hashlib.new(), fed by sky_native.hash_file "
                       "(OpenSSL EVP).")},
    {0, nullptr},
};

PyType_Spec hash_spec = {
    "sky_native.HASH",
    sizeof(HashObject),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    hash_slots,
};

// The Python type names of hashlib objects whose state is a plain digest
// of the data (no key, salt, XOF length): only these map to OpenSSL.
bool plain_hashlib_type(PyObject* object) {
  const char* type_name = Py_TYPE(object)->tp_name;
  std::string_view name(type_name);
  return name == "_hashlib.HASH" || name == "_blake2.blake2b" || name == "_blake2.blake2s";
}

// Reads the rest of `file` into the hashlib object itself (names with no
// OpenSSL equivalent, e.g. shake_128): reading without the GIL, updating
// with it, exactly SkyPilot's loop.
PyObject* feed_hashlib(sky::core::InputFile& file, PyObject* hashlib_object) {
  std::vector<char> block(sky::core::kHashBlockSize);
  while (true) {
    std::size_t size = 0;
    std::exception_ptr failure = without_gil([&] { size = file.read(block.data(), block.size()); });
    if (failure) {
      set_python_error(failure);
      return nullptr;
    }
    if (size == 0) break;
    PyObject* view =
        PyMemoryView_FromMemory(block.data(), static_cast<Py_ssize_t>(size), PyBUF_READ);
    if (view == nullptr) return nullptr;
    PyObject* result = PyObject_CallMethod(hashlib_object, "update", "O", view);
    Py_DECREF(view);
    if (result == nullptr) return nullptr;
    Py_DECREF(result);
  }
  return Py_NewRef(hashlib_object);
}

// hashlib.new(hash_alg): its exact errors, name and sizes.
PyObject* hashlib_new(PyObject* hash_alg) {
  PyObject* hashlib = PyImport_ImportModule("hashlib");
  if (hashlib == nullptr) return nullptr;
  PyObject* result = PyObject_CallMethod(hashlib, "new", "O", hash_alg);
  Py_DECREF(hashlib);
  return result;
}

PyObject* hash_file(PyObject* /*self*/, PyObject* const* args, Py_ssize_t nargs,
                    PyObject* kwnames) {
  auto original = [&]() { return call_original(kName, args, nargs, kwnames); };
  if (!dependencies_intact(kName)) return original();
  std::array<PyObject*, 2> slots{};
  if (!bind_arguments(args, nargs, kwnames, kParameters, 2, slots) ||
      !PyUnicode_CheckExact(slots[0])) {
    return original();
  }
  PyObject* path_object = slots[0];
  PyObject* encoded = PyUnicode_EncodeFSDefault(path_object);
  if (encoded == nullptr) {
    PyErr_Clear();
    return original();
  }
  std::string path(PyBytes_AS_STRING(encoded), static_cast<std::size_t>(PyBytes_GET_SIZE(encoded)));
  Py_DECREF(encoded);
  if (path.find('\0') != std::string::npos) return original();

  // 1. open(path, 'rb'), errors carrying the path object as filename.
  std::unique_ptr<sky::core::InputFile> file;
  std::exception_ptr open_failure = without_gil(
      [&] { file = std::make_unique<sky::core::InputFile>(sky::core::InputFile::open(path)); });
  if (open_failure) {
    try {
      std::rethrow_exception(open_failure);
    } catch (const sky::core::OsError& e) {
      errno = e.error_number();
      return PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path_object);
    } catch (...) {
      set_python_error(std::current_exception());
      return nullptr;
    }
  }

  // 2. hashlib.new(hash_alg).
  PyObject* hashlib_object = hashlib_new(slots[1]);
  if (hashlib_object == nullptr) return nullptr;
  std::string openssl_name;
  PyObject* name = PyObject_GetAttrString(hashlib_object, "name");
  if (name != nullptr && PyUnicode_CheckExact(name) && plain_hashlib_type(hashlib_object)) {
    const char* text = PyUnicode_AsUTF8(name);
    if (text != nullptr) openssl_name = sky::core::openssl_digest_name(text);
  }
  if (PyErr_Occurred()) PyErr_Clear();
  std::unique_ptr<sky::core::Hasher> hasher;
  if (!openssl_name.empty()) {
    try {
      hasher = std::make_unique<sky::core::Hasher>(openssl_name);
    } catch (const std::exception&) {
      hasher.reset();  // OpenSSL lacks it here: feed hashlib's object instead
    }
  }
  if (hasher != nullptr) {
    // Same sizes as hashlib's object, or hashlib's object it is.
    PyObject* digest_size = PyObject_GetAttrString(hashlib_object, "digest_size");
    PyObject* block_size = PyObject_GetAttrString(hashlib_object, "block_size");
    bool same = digest_size != nullptr && block_size != nullptr &&
                PyLong_AsSize_t(digest_size) == hasher->digest_size() &&
                PyLong_AsSize_t(block_size) == hasher->block_size();
    Py_XDECREF(digest_size);
    Py_XDECREF(block_size);
    if (PyErr_Occurred()) PyErr_Clear();
    if (!same) hasher.reset();
  }
  if (hasher == nullptr) {
    Py_XDECREF(name);
    PyObject* result = feed_hashlib(*file, hashlib_object);
    Py_DECREF(hashlib_object);
    return result;
  }
  Py_DECREF(hashlib_object);

  // 3. The file in 262,144-byte blocks, without the GIL.
  std::exception_ptr failure = without_gil([&] { sky::core::hash_stream(*file, *hasher); });
  if (failure) {
    Py_DECREF(name);
    set_python_error(failure);
    return nullptr;
  }
  PyObject* result = new_hash(std::move(*hasher), name);
  Py_DECREF(name);
  return result;
}

}  // namespace

void bind_file_hash(pybind11::module_& m) {
  if (hash_type == nullptr) {
    PyObject* type = PyType_FromSpec(&hash_spec);
    if (type == nullptr) throw pybind11::error_already_set();
    hash_type = reinterpret_cast<PyTypeObject*>(type);  // kept for the process
  }
  add_fastcall(m, kName, hash_file,
               "hash_file(path, hash_alg)\n--\n\n"
               "A hash object fed with the whole file (SkyPilot's common_utils).");
}

}  // namespace sky_native
