#include "launcher.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "server_client.h"
#include "sky_native/module.h"
#include "venv_check.h"

namespace sky_native::launcher {
namespace {

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

PyStatus configure(const LaunchPlan& plan, PyConfig* config) {
  config->parse_argv = plan.mode == Mode::kPython ? 1 : 0;

  std::vector<char*> argv;
  for (const std::string& arg : plan.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  PyStatus status =
      PyConfig_SetBytesArgv(config, static_cast<Py_ssize_t>(argv.size()), argv.data());
  const std::string& path_executable =
      plan.path_config_executable ? *plan.path_config_executable : plan.executable;
  if (!PyStatus_Exception(status)) {
    status = PyConfig_SetBytesString(config, &config->executable, path_executable.c_str());
  }
  if (plan.packaged) {
    // The copy is all there is: no PYTHONPATH, no user site-packages, and
    // no bytecode written into a copy other processes use (it ships .pyc).
    // A user site only when PYTHONUSERBASE names one explicitly (the image
    // sets it to a writable directory so that `pip install` works with a
    // read-only root); a host's ~/.local never leaks in.
    config->write_bytecode = 0;
    config->user_site_directory = std::getenv("PYTHONUSERBASE") != nullptr ? 1 : 0;
    if (!PyStatus_Exception(status)) {
      status = PyConfig_SetBytesString(config, &config->home, plan.packaged->directory.c_str());
    }
    for (const std::string& entry : packaged_search_path(*plan.packaged)) {
      if (PyStatus_Exception(status)) break;
      wchar_t* wide = Py_DecodeLocale(entry.c_str(), nullptr);
      status = wide != nullptr ? PyWideStringList_Append(&config->module_search_paths, wide)
                               : PyStatus_NoMemory();
      PyMem_RawFree(wide);
    }
    config->module_search_paths_set = 1;
  }
  if (!PyStatus_Exception(status) && !plan.run_command.empty()) {
    status = PyConfig_SetBytesString(config, &config->run_command, plan.run_command.c_str());
  }
  return status;
}

int run(const LaunchPlan& plan) {
  if (PyImport_AppendInittab("sky_native", PyInit_sky_native) == -1) {
    std::fputs("sky-native: cannot register the sky_native module\n", stderr);
    return 1;
  }
  PyConfig config;
  PyConfig_InitPythonConfig(&config);
  PyStatus status = configure(plan, &config);
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
  LaunchEnvironment environment = current_environment(argc > 0 ? argv[0] : nullptr);
  LaunchPlan plan = plan_launch(args, environment);
  // The single file's maintenance runs before (and instead of) its copy.
  if (plan.mode == Mode::kNativeRepair) return repair_packaged_copy();
  if (plan.mode == Mode::kNativeClean) return clean_packaged_copies();
  if (auto packaged = prepare_packaged_copy()) {
    // A host venv never leaks in.
    configure_tls(*packaged);
    plan.path_config_executable.reset();
    plan.packaged = std::move(packaged);
  } else {
    auto venv = launch_venv(environment.self_path, plan.path_config_executable, environment.exists);
    if (auto mismatch = venv ? check_venv(*venv) : std::nullopt) {
      std::fprintf(stderr, "%s\n", mismatch->c_str());
      return 1;
    }
  }
  if (plan.mode == Mode::kNativeServer && plan.run_command.empty()) {
    return manage_servers(plan, plan.argv.size() >= 3 ? plan.argv[2] : "");
  }
  // A command server, when one can take this command.
  if (std::optional<int> code = offer_to_server(plan, args)) return *code;
  return run(plan);
}

}  // namespace sky_native::launcher
