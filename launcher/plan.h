// The launch plan: everything the interpreter needs to know about one
// invocation, computed from argv and the environment before Python starts.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mode.h"
#include "single_file.h"

namespace sky_native::launcher {

/// Everything the interpreter needs to know about one invocation.
struct LaunchPlan {
  Mode mode = Mode::kSkyCli;
  /// sys.argv in sky mode; the full command line CPython parses otherwise.
  std::vector<std::string> argv;
  /// The program run in the modes that run one of programs.h (empty in
  /// Python mode, where CPython's own -c / -m / script / stdin logic
  /// applies, and in the modes handled before Python starts).
  std::string run_command;
  /// sys.executable: this binary as it was started (see find_program).
  std::string executable;
  /// The path CPython computes prefixes from when it differs from
  /// `executable` (an active virtual environment the binary is not part of).
  std::optional<std::string> path_config_executable;
  /// In the single file: the unpacked copy that is the interpreter's home,
  /// whatever PYTHONHOME, PYTHONPATH or a virtual environment say.
  std::optional<PackagedCopy> packaged;
};

/// The environment the plan depends on, injectable for tests.
struct LaunchEnvironment {
  std::string self_path;                   // this binary, as started (see find_program)
  std::optional<std::string> virtual_env;  // $VIRTUAL_ENV
  std::function<bool(const std::string&)> exists;
  std::function<bool()> is_single_file;  // this binary carries a payload
};

/// The absolute path CPython would give sys.executable for a program
/// started as `argv0`: argv0 itself when absolute, joined to `cwd` when it
/// holds a slash (a leading "./" dropped), else the first entry of
/// `path_env` (PATH) holding an executable of that name (`is_executable`).
/// Symlinks are kept, not resolved. Empty when nothing matches.
std::string find_program(const std::string& argv0, const std::string& cwd,
                         const std::string& path_env,
                         const std::function<bool(const std::string&)>& is_executable);

/// Plans one invocation from argv (argv[0] first).
LaunchPlan plan_launch(const std::vector<std::string>& argv, const LaunchEnvironment& environment);

/// The real environment of this process.
LaunchEnvironment current_environment(const char* argv0);

}  // namespace sky_native::launcher
