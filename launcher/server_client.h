// The command server's client side, run before Python starts: hands a sky
// command to a preloaded server that matches this invocation (see
// core/runtime/include/sky/runtime/server/protocol.h and modules/python/server.py), or
// tells the launcher to run it cold after starting a server for next time.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "launcher.h"

namespace sky_native::launcher {

/// The first argument of `sky-native --native-server status|stop` (and of
/// the server process itself: `--native-server serve SOCKET`).
inline constexpr const char* kNativeServerFlag = "--native-server";

/// Whether sky mode uses the server: SKY_NATIVE_SERVER=1 turns it on, unset
/// or anything else leaves it off.
bool server_enabled(const char* setting);

/// Whether a command line (the arguments after the program) must run in
/// the client's own session when it has a controlling terminal: commands
/// that start interactive ssh sessions or may prompt on /dev/tty.
bool needs_controlling_terminal(const std::vector<std::string>& args);

/// The launcher's hook, called with the plan before Python starts. Returns
/// the exit code when the invocation was handled here (served by a server,
/// or `--native-server status|stop`); std::nullopt to run `plan` as usual
/// (cold; a server was started when there was none). For the server
/// process itself it switches `plan` to the serve program. A command whose
/// server dies with a signal makes this process die with the same signal.
std::optional<int> handle_with_server(LaunchPlan& plan, const std::vector<std::string>& argv);

}  // namespace sky_native::launcher
