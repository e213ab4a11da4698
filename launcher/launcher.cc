#include "launcher.h"

#include <Python.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <string>
#include <vector>

#include "server_client.h"
#include "sky_native/module.h"
#include "venv_check.h"

namespace sky_native::launcher {
namespace {

// The program of sky mode: what SkyPilot's `sky` console script does.
// Both drop the binary's directory from sys.path before they import anything
// (see _cli.drop_program_directory).
constexpr const char* kSkyCliProgram = "import sky_native._cli as _cli\n_cli.main()\n";
constexpr const char* kNativeInfoProgram =
    "import sky_native._cli as _cli\n_cli.drop_program_directory()\n"
    "import sky_native._native_info as _info\n_info.main()\n";

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

std::string current_directory() {
  std::vector<char> buffer(PATH_MAX + 1);
  return ::getcwd(buffer.data(), buffer.size()) != nullptr ? buffer.data() : "";
}

// sys.executable names the path this binary was started by, as CPython
// names it (a symlink in a venv's bin/ stays that symlink), as long as that
// path really is this binary; /proc/self/exe otherwise, so that an argv[0]
// set to anything else never makes children start a different program.
std::string resolve_self_path(const char* argv0) {
  std::vector<char> buffer(PATH_MAX + 1);
  ssize_t length = ::readlink("/proc/self/exe", buffer.data(), PATH_MAX);
  std::string self =
      length > 0 ? std::string(buffer.data(), static_cast<std::size_t>(length)) : std::string();
  const char* path_env = std::getenv("PATH");
  std::string program = find_program(argv0 != nullptr ? argv0 : "", current_directory(),
                                     path_env != nullptr ? path_env : "", is_executable_file);
  if (self.empty()) return program.empty() ? std::string("sky-native") : program;
  return !program.empty() && same_file(program, self) ? program : self;
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
  PyObject* result = module != nullptr ? PyObject_CallMethod(module, "_install", nullptr) : nullptr;
  if (result == nullptr) {
    PySys_WriteStderr("sky-native: the native module could not be installed:\n");
    PyErr_Print();
  }
  Py_XDECREF(result);
  Py_XDECREF(module);
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
  plan.mode = select_mode(program, args, environment.exists);
  switch (plan.mode) {
    case Mode::kPython:
      plan.argv = argv.empty() ? std::vector<std::string>{program} : argv;
      break;
    case Mode::kSkyCli:
    case Mode::kNativeInfo:
      // argv[0] is the binary's path; the program renames it to `sky`.
      plan.argv = {environment.self_path};
      plan.argv.insert(plan.argv.end(), args.begin(), args.end());
      plan.run_command = plan.mode == Mode::kSkyCli ? kSkyCliProgram : kNativeInfoProgram;
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
  PyStatus status =
      PyConfig_SetBytesArgv(&config, static_cast<Py_ssize_t>(argv.size()), argv.data());
  const std::string& path_executable =
      plan.path_config_executable ? *plan.path_config_executable : plan.executable;
  if (!PyStatus_Exception(status)) {
    status = PyConfig_SetBytesString(&config, &config.executable, path_executable.c_str());
  }
  if (plan.packaged) {
    // The copy is all there is: no PYTHONPATH, no user site-packages, and
    // no bytecode written into a copy other processes use (it ships .pyc).
    // A user site only when PYTHONUSERBASE names one explicitly (the image
    // sets it to a writable directory so that `pip install` works with a
    // read-only root); a host's ~/.local never leaks in.
    config.write_bytecode = 0;
    config.user_site_directory = std::getenv("PYTHONUSERBASE") != nullptr ? 1 : 0;
    if (!PyStatus_Exception(status)) {
      status = PyConfig_SetBytesString(&config, &config.home, plan.packaged->directory.c_str());
    }
    for (const std::string& entry : packaged_search_path(*plan.packaged)) {
      if (PyStatus_Exception(status)) break;
      wchar_t* wide = Py_DecodeLocale(entry.c_str(), nullptr);
      status = wide != nullptr ? PyWideStringList_Append(&config.module_search_paths, wide)
                               : PyStatus_NoMemory();
      PyMem_RawFree(wide);
    }
    config.module_search_paths_set = 1;
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
  if (plan.packaged && plan.mode == Mode::kNativeInfo) publish_package_info(*plan.packaged);
  return Py_RunMain();
}

int run_main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  if (auto exit_code = run_packaged_command(args)) return *exit_code;
  auto packaged = prepare_packaged_copy();
  LaunchEnvironment environment = current_environment(argc > 0 ? argv[0] : nullptr);
  if (packaged) environment.virtual_env.reset();  // a host venv never leaks in
  LaunchPlan plan = plan_launch(args, environment);
  if (!packaged) {
    auto venv = launch_venv(environment.self_path, plan.path_config_executable, environment.exists);
    if (auto mismatch = venv ? check_venv(*venv) : std::nullopt) {
      std::fprintf(stderr, "%s\n", mismatch->c_str());
      return 1;
    }
  }
  if (packaged) {
    configure_tls(*packaged);
    plan.path_config_executable.reset();
    plan.packaged = std::move(packaged);
  }
  // The command server, when one can take this command (sky mode only).
  if (std::optional<int> code = handle_with_server(plan, args)) return *code;
  return run(plan);
}

}  // namespace sky_native::launcher
