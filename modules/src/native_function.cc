#include "native_function.h"

#include <structmember.h>

#include <cstddef>

#include "cpython_private.h"
#include "py_ref.h"

namespace sky_native {
namespace {

struct NativeFunctionObject {
  PyObject_HEAD vectorcallfunc vectorcall;
  PyObject* dict;
  FastcallFunction body;
  const char* name;
  const char* text_signature;
};

NativeFunctionObject* as_native(PyObject* object) {
  return reinterpret_cast<NativeFunctionObject*>(object);
}

PyObject* call(PyObject* callable, PyObject* const* args, size_t nargsf, PyObject* kwnames) {
  return as_native(callable)->body(nullptr, args, PyVectorcall_NARGS(nargsf), kwnames);
}

// sky_native._introspection.<what>(name): computed there, on first use.
PyObject* introspect(PyObject* self, const char* what) {
  Ref module = steal(PyImport_ImportModule("sky_native._introspection"));
  if (!module) return nullptr;
  return PyObject_CallMethod(module.ptr(), what, "s", as_native(self)->name);
}

PyObject* get_name(PyObject* self, void* /*closure*/) {
  return PyUnicode_FromString(as_native(self)->name);
}
PyObject* get_text_signature(PyObject* self, void* /*closure*/) {
  return PyUnicode_FromString(as_native(self)->text_signature);
}
PyObject* get_wrapped(PyObject* self, void* /*closure*/) { return introspect(self, "wrapped"); }
PyObject* get_signature(PyObject* self, void* /*closure*/) { return introspect(self, "signature"); }
PyObject* get_annotations(PyObject* self, void* /*closure*/) {
  return introspect(self, "annotations");
}
PyObject* get_doc(PyObject* self, void* /*closure*/) { return introspect(self, "doc"); }

PyGetSetDef getset[] = {
    {"__name__", get_name, nullptr, nullptr, nullptr},
    {"__qualname__", get_name, nullptr, nullptr, nullptr},
    {"__text_signature__", get_text_signature, nullptr, nullptr, nullptr},
    {"__wrapped__", get_wrapped, nullptr, nullptr, nullptr},
    {"__signature__", get_signature, nullptr, nullptr, nullptr},
    {"__annotations__", get_annotations, nullptr, nullptr, nullptr},
    {"__doc__", get_doc, nullptr, nullptr, nullptr},
    {"__dict__", PyObject_GenericGetDict, nullptr, nullptr, nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr},
};

PyMemberDef members[] = {
    {"__vectorcalloffset__", T_PYSSIZET,
     static_cast<Py_ssize_t>(offsetof(NativeFunctionObject, vectorcall)), READONLY, nullptr},
    {"__dictoffset__", T_PYSSIZET, static_cast<Py_ssize_t>(offsetof(NativeFunctionObject, dict)),
     READONLY, nullptr},
    {nullptr, 0, 0, 0, nullptr},
};

// Pickled by reference, as a builtin: the name in its module (sky_native).
PyObject* reduce(PyObject* self, PyObject* /*unused*/) { return get_name(self, nullptr); }

PyMethodDef methods[] = {
    {"__reduce__", reduce, METH_NOARGS, nullptr},
    {nullptr, nullptr, 0, nullptr},
};

PyObject* repr(PyObject* self) {
  return PyUnicode_FromFormat("<built-in function %s>", as_native(self)->name);
}

// Read from a class, it stays itself, as a builtin does (no binding); the
// slot makes inspect.isroutine() true, so help() lists it as a function.
PyObject* descriptor_get(PyObject* self, PyObject* /*instance*/, PyObject* /*owner*/) {
  return Py_NewRef(self);
}

#ifdef SKY_NATIVE_NO_DISALLOW_INSTANTIATION
// 3.9: what Py_TPFLAGS_DISALLOW_INSTANTIATION makes 3.10 raise.
PyObject* disallow_new(PyTypeObject* type, PyObject* /*args*/, PyObject* /*kwargs*/) {
  return PyErr_Format(PyExc_TypeError, "cannot create '%s' instances", type->tp_name);
}
#endif

PyType_Slot slots[] = {
#ifdef SKY_NATIVE_NO_DISALLOW_INSTANTIATION
    {Py_tp_new, reinterpret_cast<void*>(disallow_new)},
#endif
    {Py_tp_call, reinterpret_cast<void*>(PyVectorcall_Call)},
    {Py_tp_repr, reinterpret_cast<void*>(repr)},
    {Py_tp_descr_get, reinterpret_cast<void*>(descriptor_get)},
    {Py_tp_getset, getset},
    {Py_tp_members, members},
    {Py_tp_methods, methods},
    {0, nullptr},
};

PyType_Spec spec = {
    "sky_native.native_function",
    sizeof(NativeFunctionObject),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_DISALLOW_INSTANTIATION |
        Py_TPFLAGS_IMMUTABLETYPE,
    slots,
};

}  // namespace

PyObject* new_native_function(const char* name, const char* text_signature, FastcallFunction body) {
  // The type and its objects live as long as the interpreter.
  static PyObject* type = nullptr;
  if (type == nullptr) {
    type = PyType_FromSpec(&spec);
    if (type == nullptr) return nullptr;
  }
  auto* self = PyObject_New(NativeFunctionObject, reinterpret_cast<PyTypeObject*>(type));
  if (self == nullptr) return nullptr;
  self->vectorcall = call;
  self->dict = nullptr;
  self->body = body;
  self->name = name;
  self->text_signature = text_signature;
  Ref object = steal(reinterpret_cast<PyObject*>(self));
  // mock.create_autospec checks calls against the signature of __call__.
  Ref module_name = steal(PyUnicode_FromString("sky_native"));
  bool made = module_name &&
              PyObject_SetAttrString(object.ptr(), "__module__", module_name.ptr()) == 0 &&
              PyObject_SetAttrString(object.ptr(), "__call__", object.ptr()) == 0;
  return made ? object.release().ptr() : nullptr;
}

}  // namespace sky_native
