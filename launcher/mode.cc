#include "mode.h"

namespace sky_native::launcher {
namespace {

// CPython's short options (python --help) except -h and -V, which stay with
// the sky CLI as its help flag and a usage error respectively.
constexpr std::string_view kPythonShortOptions = "bBcdEiImOPqRsSuvWxX";

std::string_view basename(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool is_python_option(const std::string& arg) {
  if (arg == "-") return true;  // the program comes from stdin
  if (arg.size() < 2 || arg[0] != '-' || arg[1] == '-') return false;
  // Options may be grouped ("-Es", "-Esc CODE", "-Wignore", "-Xdev"): the
  // first letter decides, as in CPython's own parser.
  return kPythonShortOptions.find(arg[1]) != std::string_view::npos;
}

bool looks_like_script(const std::string& arg) {
  if (arg.empty() || arg[0] == '-') return false;
  bool has_slash = arg.find('/') != std::string::npos;
  bool has_py_suffix = arg.size() > 3 &&
                       (arg.compare(arg.size() - 3, 3, ".py") == 0 ||
                        (arg.size() > 4 && arg.compare(arg.size() - 4, 4, ".pyz") == 0));
  return has_slash || has_py_suffix;
}

}  // namespace

Mode select_mode(std::string_view program_name,
                 const std::vector<std::string>& args,
                 const std::function<bool(const std::string&)>& is_file) {
  if (basename(program_name).substr(0, 6) == "python") return Mode::kPython;
  if (args.empty()) return Mode::kSkyCli;
  const std::string& first = args[0];
  if (first == kNativeInfoFlag) return Mode::kNativeInfo;
  // `sky -c` (commit) and `sky -v` (version) take no value; Python's -c
  // always has one and SkyPilot's children pass -v only before more options.
  if ((first == "-c" || first == "-v") && args.size() == 1) return Mode::kSkyCli;
  if (is_python_option(first)) return Mode::kPython;
  if (looks_like_script(first) && is_file(first)) return Mode::kPython;
  return Mode::kSkyCli;
}

}  // namespace sky_native::launcher
