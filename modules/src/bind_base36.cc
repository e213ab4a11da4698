#include "bindings.h"

namespace sky_native {

void bind_base36(pybind11::module_& /*m*/) {}

}  // namespace sky_native
