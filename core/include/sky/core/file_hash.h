// file_hash.
#pragma once

namespace sky::core {}  // namespace sky::core
