#include "launcher.h"

#include <Python.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <string>
#include <vector>

#include "sky_native/module.h"

namespace sky_native::launcher {
namespace {

// The program of sky mode: what SkyPilot's `sky` console script does.
constexpr const char* kSkyCliProgram =
    "import sky_native._cli as _cli\n_cli.main()\n";
constexpr const char* kNativeInfoProgram =
    "import sky_native._native_info as _info\n_info.main()\n";

std::string dirname(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string basename(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// /proc/self/exe is the binary even when argv[0] is a bare name found on
// PATH or a symlink; argv[0] is only a fallback for systems without /proc.
std::string resolve_self_path(const char* argv0) {
  std::vector<char> buffer(PATH_MAX + 1);
  ssize_t length = ::readlink("/proc/self/exe", buffer.data(), PATH_MAX);
  if (length > 0) return std::string(buffer.data(), length);
  char resolved[PATH_MAX];
  if (argv0 != nullptr && ::realpath(argv0, resolved) != nullptr) return resolved;
  return argv0 != nullptr ? argv0 : "sky-native";
}

// Reports a failed PyStatus as CPython's own main() does and returns the
// exit code (Py_ExitStatusException does not return for errors).
int exit_code_for(const PyStatus& status) {
  if (PyStatus_IsExit(status)) return status.exitcode;
  Py_ExitStatusException(status);
  return 1;  // not reached
}

// Imports the builtin module and lets it install the replacement hook; a
// failure there must not stop the program the user asked for.
void install_native_side() {
  PyObject* module = PyImport_ImportModule("sky_native");
  PyObject* result =
      module != nullptr ? PyObject_CallMethod(module, "_install", nullptr) : nullptr;
  if (result == nullptr) {
    PySys_WriteStderr("sky-native: the native module could not be installed:\n");
    PyErr_Print();
  }
  Py_XDECREF(result);
  Py_XDECREF(module);
}

}  // namespace

LaunchPlan plan_launch(const std::vector<std::string>& argv,
                       const LaunchEnvironment& environment) {
  LaunchPlan plan;
  plan.executable = environment.self_path;
  std::string program = argv.empty() ? std::string("sky-native") : argv[0];
  std::vector<std::string> args(argv.empty() ? argv.end() : argv.begin() + 1,
                                argv.end());
  plan.mode = select_mode(program, args, environment.exists);
  switch (plan.mode) {
    case Mode::kPython:
      plan.argv = argv.empty() ? std::vector<std::string>{program} : argv;
      break;
    case Mode::kSkyCli:
    case Mode::kNativeInfo:
      // argv[0] is the binary's path so that sys.path[0] is its directory,
      // as for a console script; the program renames it to `sky`.
      plan.argv = {environment.self_path};
      plan.argv.insert(plan.argv.end(), args.begin(), args.end());
      plan.run_command =
          plan.mode == Mode::kSkyCli ? kSkyCliProgram : kNativeInfoProgram;
      break;
  }
  // A binary inside a venv's bin/ is found by CPython itself. Otherwise an
  // active venv is used as its own `python` would use it.
  std::string bin_dir = dirname(environment.self_path);
  bool inside_venv = environment.exists(bin_dir + "/pyvenv.cfg") ||
                     environment.exists(dirname(bin_dir) + "/pyvenv.cfg");
  if (!inside_venv && environment.virtual_env &&
      !environment.virtual_env->empty() &&
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
  return environment;
}

int run(const LaunchPlan& plan) {
  if (PyImport_AppendInittab("sky_native", PyInit_sky_native) == -1) {
    std::fputs("sky-native: cannot register the sky_native module\n", stderr);
    return 1;
  }
  PyConfig config;
  PyConfig_InitPythonConfig(&config);
  config.parse_argv = plan.mode == Mode::kPython ? 1 : 0;

  std::vector<char*> argv;
  for (const std::string& arg : plan.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  PyStatus status = PyConfig_SetBytesArgv(&config, static_cast<Py_ssize_t>(argv.size()),
                                          argv.data());
  const std::string& path_executable =
      plan.path_config_executable ? *plan.path_config_executable : plan.executable;
  if (!PyStatus_Exception(status)) {
    status = PyConfig_SetBytesString(&config, &config.executable, path_executable.c_str());
  }
  if (!PyStatus_Exception(status) && !plan.run_command.empty()) {
    status = PyConfig_SetBytesString(&config, &config.run_command, plan.run_command.c_str());
  }
  if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&config);
  PyConfig_Clear(&config);
  if (PyStatus_Exception(status)) return exit_code_for(status);

  if (plan.path_config_executable) {
    // Prefixes come from the venv; children must still start this binary.
    PyObject* executable = PyUnicode_DecodeFSDefault(plan.executable.c_str());
    if (executable == nullptr || PySys_SetObject("executable", executable) != 0) {
      PyErr_Print();
    }
    Py_XDECREF(executable);
  }
  install_native_side();
  return Py_RunMain();
}

int run_main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  return run(plan_launch(args, current_environment(argc > 0 ? argv[0] : nullptr)));
}

}  // namespace sky_native::launcher
