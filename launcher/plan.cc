#include "plan.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "programs.h"
#include "sky/common/posix.h"
#include "venv_check.h"

namespace sky_native::launcher {
namespace {

std::string basename(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {
  }, sb{};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// sys.executable names the path this binary was started by, as CPython
// names it (a symlink in a venv's bin/ stays that symlink), as long as that
// path really is this binary; /proc/self/exe otherwise, so that an argv[0]
// set to anything else never makes children start a different program.
std::string resolve_self_path(const char* argv0) {
  std::string self = sky::core::self_exe();
  const char* path_env = std::getenv("PATH");
  std::string program = find_program(argv0 != nullptr ? argv0 : "", sky::core::current_dir(),
                                     path_env != nullptr ? path_env : "", is_executable_file);
  if (self.empty()) return program.empty() ? std::string("sky-native") : program;
  return !program.empty() && same_file(program, self) ? program : self;
}

}  // namespace

std::string find_program(const std::string& argv0, const std::string& cwd,
                         const std::string& path_env,
                         const std::function<bool(const std::string&)>& is_executable) {
  if (argv0.empty()) return "";
  if (argv0.find('/') != std::string::npos) {
    if (argv0[0] == '/') return argv0;
    std::string relative = argv0;
    while (relative.rfind("./", 0) == 0) relative.erase(0, 2);
    return cwd.empty() ? "" : (cwd == "/" ? "" : cwd) + "/" + relative;
  }
  std::size_t start = 0;
  while (start <= path_env.size()) {
    std::size_t end = path_env.find(':', start);
    if (end == std::string::npos) end = path_env.size();
    // An empty PATH entry is the current directory.
    std::string dir = end > start ? path_env.substr(start, end - start) : cwd;
    if (!dir.empty() && dir[0] != '/') dir.insert(0, cwd + "/");
    std::string candidate = dir == "/" ? "" : dir;
    candidate.append("/").append(argv0);
    if (!dir.empty() && is_executable(candidate)) return candidate;
    start = end + 1;
  }
  return "";
}

LaunchPlan plan_launch(const std::vector<std::string>& argv, const LaunchEnvironment& environment) {
  LaunchPlan plan;
  plan.executable = environment.self_path;
  std::string program = argv.empty() ? std::string("sky-native") : argv[0];
  std::vector<std::string> args(argv.empty() ? argv.end() : argv.begin() + 1, argv.end());
  plan.mode = select_mode(program, args, {environment.exists, environment.is_single_file});
  if (plan.mode == Mode::kPython) {
    plan.argv = argv.empty() ? std::vector<std::string>{program} : argv;
  } else {
    // argv[0] is the binary's path; the sky CLI's program renames it `sky`.
    plan.argv = {environment.self_path};
    plan.argv.insert(plan.argv.end(), args.begin(), args.end());
  }
  switch (plan.mode) {
    case Mode::kSkyCli:
      plan.run_command = kSkyCliProgram;
      break;
    case Mode::kAwsCli:
      plan.run_command = kAwsCliProgram;
      break;
    case Mode::kNativeInfo:
      plan.run_command = kNativeInfoProgram;
      break;
    case Mode::kNativeServer:
      // The server process runs Python; status and stop are answered
      // before Python starts.
      if (is_serve_command(args)) plan.run_command = kServeProgram;
      break;
    case Mode::kPython:
    case Mode::kNativeRepair:
    case Mode::kNativeClean:
      break;
  }
  // A binary inside a venv's bin/ is found by CPython itself. Otherwise an
  // active venv is used as its own `python` would use it.
  bool inside_venv = binary_venv_config(environment.self_path, environment.exists).has_value();
  if (!inside_venv && environment.virtual_env && !environment.virtual_env->empty() &&
      environment.exists(*environment.virtual_env + "/pyvenv.cfg")) {
    plan.path_config_executable =
        *environment.virtual_env + "/bin/" + basename(environment.self_path);
  }
  return plan;
}

LaunchEnvironment current_environment(const char* argv0) {
  LaunchEnvironment environment;
  environment.self_path = resolve_self_path(argv0);
  if (const char* venv = std::getenv("VIRTUAL_ENV")) environment.virtual_env = venv;
  environment.exists = path_exists;
  environment.is_single_file = has_payload;
  return environment;
}

}  // namespace sky_native::launcher
