// What one invocation of sky-native is, decided from argv alone (and, for
// the single file's maintenance commands, whether this binary is one): the
// sky CLI, the Python interpreter (the command line that sys.executable must
// accept), the installation check, the command server's own commands, or
// the single file's repair and clean. Every argv decision is made here.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sky_native::launcher {

enum class Mode {
  kSkyCli,        // SkyPilot's `sky` (the default)
  kPython,        // CPython's own command line
  kAwsCli,        // `aws`: the AWS CLI of the payload (SkyPilot's AWS check runs it)
  kNativeInfo,    // `--native-info`: the installation check
  kNativeServer,  // `--native-server status|stop`, and `serve SOCKET` (the server itself)
  kNativeRepair,  // `--native-repair`: a fresh verified copy of the single file's payload
  kNativeClean,   // `--native-clean`: unused copies of the payload removed
};

/// The first argument that selects the installation check.
inline constexpr std::string_view kNativeInfoFlag = "--native-info";
/// The first argument of `sky-native --native-server status|stop` (and of
/// the server process itself: `--native-server serve SOCKET`).
inline constexpr std::string_view kNativeServerFlag = "--native-server";
/// The action after kNativeServerFlag that runs a server on SOCKET.
inline constexpr std::string_view kServeAction = "serve";
/// The single file's maintenance commands (first argument).
inline constexpr std::string_view kNativeRepairFlag = "--native-repair";
inline constexpr std::string_view kNativeCleanFlag = "--native-clean";

/// What mode selection asks of the environment (injectable for tests).
struct ModeQueries {
  /// Whether a path names an existing file or directory.
  std::function<bool(const std::string&)> is_file;
  /// Whether this binary is the single file (carries a payload). Asked only
  /// when the first argument is kNativeRepairFlag or kNativeCleanFlag.
  std::function<bool()> is_single_file;
};

/// Chooses the mode from the program name (argv[0]) and the arguments after
/// it. In the single file, a first argument --native-repair or
/// --native-clean selects that command whatever the program name; elsewhere
/// they are left to the sky CLI (which rejects them). Then Python mode when
/// the program is named python*, the AWS CLI when it is named aws. Then the
/// installation check and the command server's commands by their first
/// argument. Otherwise Python mode
/// when the arguments are a command line CPython accepts that runs a
/// program: options, then `-c CODE`, `-m MODULE`, `-` (stdin) or an existing
/// script, or options alone (the interactive interpreter). SkyPilot's own
/// options keep their meaning: a first argument `-h...`, `--help` or
/// `--version`, and command lines whose options are only sky's eager -v / -c
/// / -h with no program (`-v`, `-c`, `-v status`, `-vc`) stay with the CLI,
/// as does anything CPython would reject. A first bare word is a script
/// only when it has a slash or a .py / .pyz suffix (so `status` is never a
/// file in the current directory). One ambiguity remains: `-c X` is always
/// Python's -c (sky would print its commit and ignore X).
Mode select_mode(std::string_view program_name, const std::vector<std::string>& args,
                 const ModeQueries& queries);

/// The SkyPilot module a command server may run in Python mode: the
/// managed-job controller, which SkyPilot's API server starts as
/// `sys.executable -u -msky.jobs.controller UUID` (sky/jobs/scheduler.py: a
/// dozen long-lived processes in deploy mode, each importing SkyPilot).
inline constexpr std::string_view kServedModule = "sky.jobs.controller";

/// For Mode::kPython: the module a command line (the arguments after the
/// program) runs when it is exactly SkyPilot's shape for a served module,
/// `-u -m MODULE ARGS...` or `-u -mMODULE ARGS...` with MODULE
/// kServedModule; nullopt for anything else (other options, another module).
std::optional<std::string> served_module(const std::vector<std::string>& args);

/// For Mode::kNativeServer: whether the arguments (after the program) start
/// the server itself (`--native-server serve SOCKET`), not status or stop.
bool is_serve_command(const std::vector<std::string>& args);

}  // namespace sky_native::launcher
