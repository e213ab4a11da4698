// file_tail.
#pragma once

namespace sky::core {}  // namespace sky::core
