// How one invocation of sky-native runs: as the sky CLI, as the Python
// interpreter (the command line that sys.executable must accept), or as the
// installation check.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace sky_native::launcher {

enum class Mode { kSkyCli, kPython, kNativeInfo };

/// The first argument that selects the installation check.
inline constexpr std::string_view kNativeInfoFlag = "--native-info";

/// Chooses the mode from the program name (argv[0]) and the arguments after
/// it. Python mode when the program is named python*, or when the arguments
/// are a command line CPython accepts that runs a program: options, then
/// `-c CODE`, `-m MODULE`, `-` (stdin) or an existing script, or options
/// alone (the interactive interpreter). SkyPilot's own options keep their
/// meaning: a first argument `-h...`, `--help` or `--version`, and command
/// lines whose options are only sky's eager -v / -c / -h with no program
/// (`-v`, `-c`, `-v status`, `-vc`) stay with the CLI, as does anything
/// CPython would reject. A first bare word is a script only when it has a
/// slash or a .py / .pyz suffix (so `status` is never a file in the current
/// directory). One ambiguity remains: `-c X` is always Python's -c (sky
/// would print its commit and ignore X). `is_file` tells whether a path
/// names an existing file or directory.
Mode select_mode(std::string_view program_name, const std::vector<std::string>& args,
                 const std::function<bool(const std::string&)>& is_file);

}  // namespace sky_native::launcher
