#include "bindings.h"

namespace sky_native {

void bind_file_hash(pybind11::module_& /*m*/) {}

}  // namespace sky_native
