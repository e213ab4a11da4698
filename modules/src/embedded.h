// The Python side of sky_native (modules/python/*.py), compiled into the
// binary and imported from there.
#pragma once

#include <pybind11/pybind11.h>

#include <string_view>

namespace sky_native {

struct EmbeddedFile {
  std::string_view name;    // module stem, e.g. "status" for status.py
  std::string_view source;  // the file's text (for tracebacks)
  std::string_view code;    // its code object, marshalled at build time
};

/// The embedded files, generated at build time from modules/python/.
extern const EmbeddedFile kEmbeddedFiles[];
extern const std::size_t kEmbeddedFileCount;

/// Runs the embedded file `stem` as the module `fullname` (registered in
/// sys.modules before it runs, as an import would) and returns it. For the
/// files needed before the embedded importer exists.
pybind11::module_ run_embedded(std::string_view stem, const char* fullname);

/// Adds `_embedded_source(name)` and `_embedded_code(name)` (the text and
/// the marshalled code object, or None) and `_install()`, which runs the
/// embedded bootstrap: the importer of the other files and the replacement
/// hook.
void bind_embedded(pybind11::module_& m);

}  // namespace sky_native
