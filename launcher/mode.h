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
/// it. Python mode when the program is named python*, or when the first
/// argument is a CPython option (`-c CODE`, `-m MOD`, `-E`, `-s`, ... or `-`)
/// or an existing script path. SkyPilot's own short options stay with the
/// CLI: `-h`, and `-c` / `-v` when they stand alone. `is_file` tells whether
/// a path names an existing file or directory.
Mode select_mode(std::string_view program_name,
                 const std::vector<std::string>& args,
                 const std::function<bool(const std::string&)>& is_file);

}  // namespace sky_native::launcher
