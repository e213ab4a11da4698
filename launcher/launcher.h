// The launcher: configures CPython for a plan (plan.h), registers the
// builtin `sky_native` module and runs the interpreter; run_main() is the
// whole invocation, from argv to exit code. As CPython's Modules/main.c
// keeps pymain_init apart from running, configure() only builds the
// configuration and run() starts and runs the interpreter.
#pragma once

#include <Python.h>

#include "plan.h"

namespace sky_native::launcher {

/// Fills `config` (initialised by PyConfig_InitPythonConfig) from the plan:
/// argv (parsed by CPython in Python mode only), the executable prefixes
/// are computed from, the single file's home and search path, the program.
PyStatus configure(const LaunchPlan& plan, PyConfig* config);

/// Runs the plan and returns the process exit code (as `python` would).
int run(const LaunchPlan& plan);

/// main(): plan from the real environment, handle the modes that need no
/// interpreter, check the venv, then run.
int run_main(int argc, char** argv);

}  // namespace sky_native::launcher
