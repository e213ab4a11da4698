#include "bindings.h"

namespace sky_native {

void bind_process(pybind11::module_& /*m*/) {}

}  // namespace sky_native
