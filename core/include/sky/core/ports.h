// ports.
#pragma once

namespace sky::core {}  // namespace sky::core
