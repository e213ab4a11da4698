// The launcher: builds CPython's configuration for the selected mode,
// registers the builtin `sky_native` module, and runs the interpreter.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mode.h"

namespace sky_native::launcher {

/// Everything the interpreter needs to know about one invocation.
struct LaunchPlan {
  Mode mode = Mode::kSkyCli;
  /// sys.argv in sky mode; the full command line CPython parses otherwise.
  std::vector<std::string> argv;
  /// The program run in sky and installation-check modes (empty in Python
  /// mode, where CPython's own -c / -m / script / stdin logic applies).
  std::string run_command;
  /// sys.executable: the resolved path of this binary.
  std::string executable;
  /// The path CPython computes prefixes from when it differs from
  /// `executable` (an active virtual environment the binary is not part of).
  std::optional<std::string> path_config_executable;
};

/// The environment the plan depends on, injectable for tests.
struct LaunchEnvironment {
  std::string self_path;                    // resolved path of this binary
  std::optional<std::string> virtual_env;   // $VIRTUAL_ENV
  std::function<bool(const std::string&)> exists;
};

/// Plans one invocation from argv (argv[0] first).
LaunchPlan plan_launch(const std::vector<std::string>& argv,
                       const LaunchEnvironment& environment);

/// The real environment of this process.
LaunchEnvironment current_environment(const char* argv0);

/// Runs the plan and returns the process exit code (as `python` would).
int run(const LaunchPlan& plan);

/// main(): plan from the real environment and run.
int run_main(int argc, char** argv);

}  // namespace sky_native::launcher
