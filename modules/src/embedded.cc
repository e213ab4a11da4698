#include "embedded.h"

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
      []() {
        const EmbeddedFile* bootstrap = find_file("bootstrap");
        if (bootstrap == nullptr) throw std::runtime_error("no embedded bootstrap");
        // The bootstrap module is made by hand; it then imports the rest.
        py::module_ types = py::module_::import("types");
        py::module_ sys = py::module_::import("sys");
        py::object module = types.attr("ModuleType")("sky_native._bootstrap");
        py::dict globals = module.attr("__dict__");
        py::object code = py::module_::import("marshal").attr("loads")(
            py::bytes(bootstrap->code.data(), bootstrap->code.size()));
        sys.attr("modules")["sky_native._bootstrap"] = module;
        py::module_::import("builtins").attr("exec")(code, globals);
        module.attr("install")();
      },
      "Installs the embedded importer and the replacement hook (done by the launcher).");
}

}  // namespace sky_native
