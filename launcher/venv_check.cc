#include "venv_check.h"

#include <Python.h>
#include <limits.h>
#include <stdlib.h>

#include <fstream>
#include <sstream>

namespace sky_native::launcher {
namespace {

std::string trim(const std::string& text) {
  const char* blanks = " \t\r";
  std::size_t first = text.find_first_not_of(blanks);
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(blanks) - first + 1);
}

// The value of `key = value` in pyvenv.cfg (CPython's reading: the first
// '=' splits, both sides stripped).
std::optional<std::string> config_value(const std::string& text, const std::string& key) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::size_t equals = line.find('=');
    if (equals != std::string::npos && trim(line.substr(0, equals)) == key) {
      return trim(line.substr(equals + 1));
    }
  }
  return std::nullopt;
}

// "3.11.7" of "3.11.7", "3.11.7.final.0" or "3.11.7+".
std::string major_minor_micro(const std::string& version) {
  std::size_t end = 0;
  for (int dots = 0; end < version.size(); ++end) {
    char c = version[end];
    if (c == '.' && ++dots == 3) break;
    if (c != '.' && (c < '0' || c > '9')) break;
  }
  return version.substr(0, end);
}

std::string dirname(const std::string& path) {
  std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

EmbeddedPython embedded_python() {
  return {major_minor_micro(PY_VERSION), SKY_NATIVE_PYTHON_BIN_DIR};
}

std::optional<std::string> binary_venv_config(
    const std::string& self_path, const std::function<bool(const std::string&)>& exists) {
  std::string bin_dir = dirname(self_path);
  for (const std::string& dir : {bin_dir, dirname(bin_dir)}) {
    if (exists(dir + "/pyvenv.cfg")) return dir + "/pyvenv.cfg";
  }
  return std::nullopt;
}

std::optional<std::string> launch_venv(const std::string& self_path,
                                       const std::optional<std::string>& path_config_executable,
                                       const std::function<bool(const std::string&)>& exists) {
  if (auto config = binary_venv_config(self_path, exists)) return dirname(*config);
  if (path_config_executable) return dirname(dirname(*path_config_executable));
  return std::nullopt;
}

std::optional<std::string> venv_mismatch(
    const std::string& venv_dir, const std::string& pyvenv_cfg, const EmbeddedPython& embedded,
    const std::function<bool(const std::string&, const std::string&)>& same_dir) {
  std::optional<std::string> version = config_value(pyvenv_cfg, "version");
  if (!version) version = config_value(pyvenv_cfg, "version_info");
  std::optional<std::string> home = config_value(pyvenv_cfg, "home");
  bool fits = version ? major_minor_micro(*version) == embedded.version
                      : !home || same_dir(*home, embedded.bin_dir);
  if (fits) return std::nullopt;
  std::string made_from = "Python " + (version ? major_minor_micro(*version) : std::string("?"));
  if (home) made_from += " in " + *home;
  std::string python = embedded.bin_dir + "/python3.11";
  return "sky-native: the venv " + venv_dir + " was made from " + made_from +
         "; sky-native embeds CPython " + embedded.version + ": make the venv from " + python +
         " (" + python + " -m venv " + venv_dir + ")";
}

std::optional<std::string> check_venv(const std::string& venv_dir) {
  std::ifstream file(venv_dir + "/pyvenv.cfg");
  if (!file) return std::nullopt;
  std::ostringstream text;
  text << file.rdbuf();
  auto same_dir = [](const std::string& a, const std::string& b) {
    char real_a[PATH_MAX];
    char real_b[PATH_MAX];
    if (realpath(a.c_str(), real_a) == nullptr || realpath(b.c_str(), real_b) == nullptr) {
      return a == b;
    }
    return std::string(real_a) == real_b;
  };
  return venv_mismatch(venv_dir, text.str(), embedded_python(), same_dir);
}

}  // namespace sky_native::launcher
