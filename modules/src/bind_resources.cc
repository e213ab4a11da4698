#include "bindings.h"

namespace sky_native {

void bind_resources(pybind11::module_& /*m*/) {}

}  // namespace sky_native
