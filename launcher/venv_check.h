// The venv check: a virtual environment made from another CPython than the
// one sky-native embeds loads that Python's standard library and extension
// modules into this libpython, and fails deep in an import (with a pyenv
// 3.11.7 venv, `import ssl`: undefined symbol: _PyModule_Add). Caught at
// start from the venv's pyvenv.cfg instead.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace sky_native::launcher {

/// The interpreter sky-native embeds: its version ("3.11.2") and the
/// directory of the `python3.11` a venv must be made from.
struct EmbeddedPython {
  std::string version;
  std::string bin_dir;
};

/// The embedded interpreter of this build.
EmbeddedPython embedded_python();

/// The pyvenv.cfg next to or above the binary's own directory (a binary in
/// a venv's bin/, which CPython reads itself), when one exists.
std::optional<std::string> binary_venv_config(
    const std::string& self_path, const std::function<bool(const std::string&)>& exists);

/// The venv a launch uses: the one whose bin/ holds the binary, else the
/// active one the plan computes prefixes from (`path_config_executable`,
/// VENV/bin/NAME).
std::optional<std::string> launch_venv(const std::string& self_path,
                                       const std::optional<std::string>& path_config_executable,
                                       const std::function<bool(const std::string&)>& exists);

/// One line naming the Python the venv must be made from, when the
/// pyvenv.cfg text (of the venv at `venv_dir`) names another version than
/// the embedded one (`version`, or `version_info` as uv and virtualenv
/// write it); with no version in it, when its `home` is not the embedded
/// interpreter's directory (`same_dir` compares two directories).
/// std::nullopt when the venv fits.
std::optional<std::string> venv_mismatch(
    const std::string& venv_dir, const std::string& pyvenv_cfg, const EmbeddedPython& embedded,
    const std::function<bool(const std::string&, const std::string&)>& same_dir);

/// Reads `venv_dir`/pyvenv.cfg and checks it against this build's
/// interpreter (directories compared by their real paths). std::nullopt
/// when it fits or cannot be read (CPython then says what it says).
std::optional<std::string> check_venv(const std::string& venv_dir);

}  // namespace sky_native::launcher
