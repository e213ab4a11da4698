#include "embedded.h"

#include <stdexcept>
#include <string>

namespace sky_native {
namespace py = pybind11;
namespace {

const EmbeddedFile* find_file(std::string_view name) {
  for (std::size_t i = 0; i < kEmbeddedFileCount; ++i) {
    if (kEmbeddedFiles[i].name == name) return &kEmbeddedFiles[i];
  }
  return nullptr;
}

}  // namespace

py::module_ run_embedded(std::string_view stem, const char* fullname) {
  const EmbeddedFile* file = find_file(stem);
  if (file == nullptr) throw std::runtime_error("no embedded " + std::string(stem) + ".py");
  py::module_ module = py::reinterpret_steal<py::module_>(PyModule_New(fullname));
  if (!module) throw py::error_already_set();
  py::dict globals = module.attr("__dict__");
  // Compiled at build time by the same Python version.
  py::object code =
      py::module_::import("marshal").attr("loads")(py::bytes(file->code.data(), file->code.size()));
  py::module_::import("sys").attr("modules")[fullname] = module;
  py::module_::import("builtins").attr("exec")(code, globals);
  return module;
}

void bind_embedded(py::module_& m) {
  m.def(
      "_embedded_source",
      [](const std::string& name) -> py::object {
        const EmbeddedFile* file = find_file(name);
        if (file == nullptr) return py::none();
        return py::str(file->source.data(), file->source.size());
      },
      py::arg("name"), "The source of an embedded sky_native Python file, or None.");
  m.def(
      "_embedded_code",
      [](const std::string& name) -> py::object {
        const EmbeddedFile* file = find_file(name);
        if (file == nullptr) return py::none();
        return py::bytes(file->code.data(), file->code.size());
      },
      py::arg("name"), "The marshalled code object of an embedded file, or None.");
  m.def(
      "_install",
      [](const py::object& start) {
        // The bootstrap module is made by hand; it then imports the rest.
        run_embedded("bootstrap", "sky_native._bootstrap").attr("install")(start);
      },
      py::arg("start") = py::none(),
      "Installs the embedded importer and the replacement hook (done by the launcher at "
      "start-up, by the wheel's package on import, with `start` from interpreter start).");
}

}  // namespace sky_native
