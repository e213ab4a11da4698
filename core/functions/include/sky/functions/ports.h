// ports: SkyPilot's common_utils.find_free_port.
#pragma once

#include <functional>
#include <optional>

#include "sky/functions/interrupt_check.h"

namespace sky::core {

/// The first port in [start_port, 65534] that a fresh IPv4 TCP socket with
/// no socket options (no SO_REUSEADDR / SO_REUSEPORT) can bind on 0.0.0.0.
/// Each socket is closed right after its bind; there is no listen(). Port 0
/// binds (the kernel picks one) and gives 0. Returns std::nullopt when no
/// port in the range binds (start_port >= 65535 gives an empty range).
/// `on_bind_error(port, errno)` is called for every failed bind, in order.
/// Throws OsError(errno) (no path) when a socket cannot be created, and
/// std::overflow_error("bind(): port must be 0-65535.") for a negative
/// start_port (after creating, then closing, the first socket, as Python's
/// socket.bind does). `check` runs between two probes (see InterruptCheck).
std::optional<int> find_free_port(
    long long start_port, const std::function<void(int port, int error_number)>& on_bind_error = {},
    const InterruptCheck& check = {});

}  // namespace sky::core
