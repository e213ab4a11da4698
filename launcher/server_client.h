// The command server's client side, run before Python starts: hands a sky
// command, or SkyPilot's managed-job controller in Python mode, to a
// preloaded server that matches this invocation (the protocol:
// core/runtime/include/sky/runtime/server/protocol.h, docs/command-server.md; the
// server: modules/python/server.py), or tells the launcher to run it cold
// after starting a server for next time (server_spawn.h); and
// `--native-server status|stop`. While a served command runs, signals go to
// it (signal_forwarding.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "plan.h"

namespace sky_native::launcher {

/// Whether sky mode uses the server: SKY_NATIVE_SERVER=1 turns it on, unset
/// or anything else leaves it off.
bool server_enabled(const char* setting);

/// Whether the API server's children come from preloaded processes (the
/// zygote, and the server that runs the managed-job controller): on unless
/// SKY_NATIVE_ZYGOTE is 0, false, no or off (any case, blanks ignored), as
/// modules/python/bootstrap.py's zygote_requested() reads it.
bool zygote_enabled(const char* setting);

/// Whether a command line (the arguments after the program) must run in
/// the client's own session when it has a controlling terminal: commands
/// that start interactive ssh sessions or may prompt on /dev/tty.
bool needs_controlling_terminal(const std::vector<std::string>& args);

/// Before Python starts, with the command line `argv` (argv[0] first): a
/// sky-mode command when SKY_NATIVE_SERVER=1, a Python-mode command line of
/// served_module() when zygote_enabled(). Returns the exit code when a
/// server ran the command; std::nullopt to run `plan` cold (a server was
/// started when there was none). A command whose server dies with a signal
/// makes this process die with the same signal.
std::optional<int> offer_to_server(const LaunchPlan& plan, const std::vector<std::string>& argv);

/// `--native-server status` and `stop` (`action`): every server of this
/// user, listed or stopped. Returns the exit code (2 for another action).
int manage_servers(const LaunchPlan& plan, const std::string& action);

}  // namespace sky_native::launcher
