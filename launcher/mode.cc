#include "mode.h"

namespace sky_native::launcher {
namespace {

// CPython 3.11's short options (Python/getopt.c: "bBc:dEhiIm:OPqRsSuvVW:xX:?").
constexpr std::string_view kFlagOptions = "bBdEhiIOPqRsSuvVx?";
constexpr std::string_view kValueOptions = "cmWX";
// Letters that are also options of the sky CLI: -h (help), -v (version),
// -c (commit). A command line made only of these is SkyPilot's.
constexpr std::string_view kSkyLetters = "hvc";

std::string_view basename(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool looks_like_script(const std::string& arg) {
  if (arg.empty() || arg[0] == '-') return false;
  bool has_slash = arg.find('/') != std::string::npos;
  auto ends_with = [&](std::string_view suffix) {
    return arg.size() > suffix.size() &&
           arg.compare(arg.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return has_slash || ends_with(".py") || ends_with(".pyz");
}

// Reads args as CPython's command line would and says whether it is one:
// a program (-c CODE, -m MODULE, `-`, an existing script) after valid
// options, or options alone (the interactive interpreter). Anything CPython
// would reject, and anything the sky CLI reads as its own options, is not.
bool is_python_command_line(const std::vector<std::string>& args,
                            const std::function<bool(const std::string&)>& is_file) {
  bool only_sky_options = true;  // every option so far is also one of sky's
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-") return true;  // the program comes from stdin
    if (arg == "--") {
      if (i + 1 == args.size()) return !only_sky_options;
      // A script after `--` is taken only when it cannot be a sky command.
      const std::string& script = args[i + 1];
      return is_file(script) && (!only_sky_options || looks_like_script(script));
    }
    if (arg.rfind("--", 0) == 0) {
      // CPython's long options; --help and --version are sky's as well.
      if (arg == "--help" || arg == "--version") continue;
      if (arg == "--help-env" || arg == "--help-xoptions" || arg == "--help-all") {
        only_sky_options = false;
        continue;
      }
      if (arg == "--check-hash-based-pycs" && i + 1 < args.size()) {
        only_sky_options = false;
        ++i;
        continue;
      }
      return false;  // CPython would reject it: a sky option
    }
    if (arg[0] != '-') {
      // The script CPython would run. Without any Python-only option
      // before it, a bare word is a sky command, not a file that happens to
      // exist in the current directory.
      return is_file(arg) && (!only_sky_options || looks_like_script(arg));
    }
    for (std::size_t j = 1; j < arg.size(); ++j) {
      char letter = arg[j];
      if (kValueOptions.find(letter) != std::string_view::npos) {
        // The value is the rest of this argument or the next one.
        bool has_value = j + 1 < arg.size() || i + 1 < args.size();
        if (!has_value) return false;
        if (letter == 'c' || letter == 'm') return true;
        if (j + 1 == arg.size()) ++i;
        only_sky_options = false;
        break;
      }
      if (kFlagOptions.find(letter) == std::string_view::npos) return false;
      if (kSkyLetters.find(letter) == std::string_view::npos) only_sky_options = false;
    }
  }
  return !only_sky_options;  // options alone: the interactive interpreter
}

}  // namespace

Mode select_mode(std::string_view program_name, const std::vector<std::string>& args,
                 const ModeQueries& queries) {
  const std::string first = args.empty() ? std::string() : args[0];
  // Before the program name: `python --native-clean` in the single file is
  // the single file's command too.
  if ((first == kNativeRepairFlag || first == kNativeCleanFlag) && queries.is_single_file()) {
    return first == kNativeRepairFlag ? Mode::kNativeRepair : Mode::kNativeClean;
  }
  if (basename(program_name).substr(0, 6) == "python") return Mode::kPython;
  if (basename(program_name) == "aws") return Mode::kAwsCli;
  if (args.empty()) return Mode::kSkyCli;
  if (first == kNativeInfoFlag) return Mode::kNativeInfo;
  if (first == kNativeServerFlag) return Mode::kNativeServer;
  // `-h ...`, `--help ...`, `--version ...` are always sky's eager options
  // (CPython's would only print its own usage or version).
  if (first.rfind("-h", 0) == 0 || first == "--help" || first == "--version") {
    return Mode::kSkyCli;
  }
  return is_python_command_line(args, queries.is_file) ? Mode::kPython : Mode::kSkyCli;
}

std::optional<std::string> served_module(const std::vector<std::string>& args) {
  if (args.size() < 2 || args[0] != "-u") return std::nullopt;
  std::string module = args[1] == "-m" && args.size() > 2 ? args[2] : args[1].substr(2);
  if (args[1].rfind("-m", 0) != 0 || module != kServedModule) return std::nullopt;
  return module;
}

bool is_serve_command(const std::vector<std::string>& args) {
  return args.size() == 3 && args[0] == kNativeServerFlag && args[1] == kServeAction;
}

}  // namespace sky_native::launcher
