// base36.
#pragma once

namespace sky::core {}  // namespace sky::core
