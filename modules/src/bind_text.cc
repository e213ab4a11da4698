#include "bindings.h"

namespace sky_native {

void bind_text(pybind11::module_& /*m*/) {}

}  // namespace sky_native
