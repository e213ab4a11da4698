// interrupt_check: how a caller may interrupt a long core operation.
#pragma once

#include <functional>

namespace sky::core {

/// Called by a long core operation between its blocking steps (reads, port
/// probes, directory scans) and whenever one of its system calls fails with
/// EINTR, before it retries -- the points where Python's own loops and I/O
/// calls run pending signal handlers. Returning lets the operation go on;
/// whatever it throws ends the operation (which releases what it holds) and
/// reaches the caller unchanged. An empty check is never called.
using InterruptCheck = std::function<void()>;

}  // namespace sky::core
