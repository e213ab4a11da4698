#include "mode.h"

#include <catch2/catch.hpp>
#include <set>

using sky_native::launcher::Mode;
using sky_native::launcher::select_mode;

namespace {

Mode mode_of(const std::vector<std::string>& args, const std::set<std::string>& files = {},
             const std::string& program = "sky-native", bool single_file = false) {
  return select_mode(program, args,
                     {[&](const std::string& path) { return files.count(path) > 0; },
                      [single_file] { return single_file; }});
}

}  // namespace

TEST_CASE("SkyPilot commands and options go to the sky CLI", "[mode]") {
  CHECK(mode_of({}) == Mode::kSkyCli);
  CHECK(mode_of({"status"}) == Mode::kSkyCli);
  CHECK(mode_of({"launch", "-c", "mycluster", "task.yaml"}) == Mode::kSkyCli);
  CHECK(mode_of({"--help"}) == Mode::kSkyCli);
  CHECK(mode_of({"-h"}) == Mode::kSkyCli);
  CHECK(mode_of({"--version"}) == Mode::kSkyCli);
  CHECK(mode_of({"-v"}) == Mode::kSkyCli);  // sky's --version
  CHECK(mode_of({"-c"}) == Mode::kSkyCli);  // sky's --commit
  CHECK(mode_of({"--no-such-flag"}) == Mode::kSkyCli);
  // A name that is not an existing script stays a sky argument.
  CHECK(mode_of({"task.py"}) == Mode::kSkyCli);
  CHECK(mode_of({"status.yaml"}, {"status.yaml"}) == Mode::kSkyCli);
}

TEST_CASE("sky's eager -c / -v / -h keep their meaning before sky words", "[mode]") {
  // `sky -v status` prints the version, `sky -v --help` too: no program
  // follows, so these are not Python command lines.
  CHECK(mode_of({"-v", "status"}) == Mode::kSkyCli);
  CHECK(mode_of({"-v", "--help"}) == Mode::kSkyCli);
  CHECK(mode_of({"-v", "-v"}) == Mode::kSkyCli);
  CHECK(mode_of({"-vh"}) == Mode::kSkyCli);
  CHECK(mode_of({"-vc"}) == Mode::kSkyCli);  // CPython: -c needs a value
  CHECK(mode_of({"-h", "-c", "pass"}) == Mode::kSkyCli);
  CHECK(mode_of({"-hv"}) == Mode::kSkyCli);
  CHECK(mode_of({"--version", "-c", "pass"}) == Mode::kSkyCli);
  // A file named like a sky command in the current directory stays sky's.
  CHECK(mode_of({"-v", "status"}, {"status"}) == Mode::kSkyCli);
  CHECK(mode_of({"--", "status"}, {"status"}) == Mode::kSkyCli);
}

TEST_CASE("what CPython would reject stays with the sky CLI", "[mode]") {
  CHECK(mode_of({"-m"}) == Mode::kSkyCli);
  CHECK(mode_of({"-E", "-c"}) == Mode::kSkyCli);
  CHECK(mode_of({"-W", "error", "-c"}) == Mode::kSkyCli);
  CHECK(mode_of({"-X"}) == Mode::kSkyCli);
  CHECK(mode_of({"-Ez", "-c", "pass"}) == Mode::kSkyCli);  // no option -z
  CHECK(mode_of({"-E", "--no-such-flag"}) == Mode::kSkyCli);
  CHECK(mode_of({"-s", "status"}) == Mode::kSkyCli);  // not a file
  CHECK(mode_of({"-y"}) == Mode::kSkyCli);
}

TEST_CASE("CPython's command line goes to Python", "[mode]") {
  CHECK(mode_of({"-c", "print(1)"}) == Mode::kPython);
  CHECK(mode_of({"-m", "sky.server.server", "--port=46580"}) == Mode::kPython);
  CHECK(mode_of({"-E", "-s", "-c", "from multiprocessing.spawn import spawn_main",
                 "--multiprocessing-fork"}) == Mode::kPython);
  CHECK(mode_of({"-Es", "-c", "pass"}) == Mode::kPython);
  CHECK(mode_of({"-Wignore", "-c", "pass"}) == Mode::kPython);
  CHECK(mode_of({"-X", "dev", "-c", "pass"}) == Mode::kPython);
  CHECK(mode_of({"-v", "-c", "pass"}) == Mode::kPython);
  for (const char* flag : {"-E", "-s", "-S", "-I", "-B", "-u", "-O", "-OO", "-q", "-b", "-d"}) {
    CHECK(mode_of({flag, "-c", "pass"}) == Mode::kPython);
  }
  CHECK(mode_of({"-"}) == Mode::kPython);
  CHECK(mode_of({"script.py"}, {"script.py"}) == Mode::kPython);
  CHECK(mode_of({"./tool"}, {"./tool"}) == Mode::kPython);
  CHECK(mode_of({"/tmp/app.pyz", "x"}, {"/tmp/app.pyz"}) == Mode::kPython);
  // Values of -W / -X in the same or the next argument, then the program.
  CHECK(mode_of({"-W", "error", "-X", "dev", "-m", "json.tool"}) == Mode::kPython);
  CHECK(mode_of({"-Xdev", "-Werror::DeprecationWarning", "-c", "pass"}) == Mode::kPython);
  CHECK(mode_of({"-cpass"}) == Mode::kPython);
  CHECK(mode_of({"-mjson.tool"}) == Mode::kPython);
  CHECK(mode_of({"-vc", "pass"}) == Mode::kPython);
  CHECK(mode_of({"-I", "-"}) == Mode::kPython);
  CHECK(mode_of({"--check-hash-based-pycs", "never", "-c", "pass"}) == Mode::kPython);
  // After a Python-only option, any existing file is the script.
  CHECK(mode_of({"-u", "tool"}, {"tool"}) == Mode::kPython);
  CHECK(mode_of({"-E", "--", "tool"}, {"tool"}) == Mode::kPython);
  // Options alone start the interpreter, as `python -q` / `python -V` do.
  CHECK(mode_of({"-q"}) == Mode::kPython);
  CHECK(mode_of({"-V"}) == Mode::kPython);
  CHECK(mode_of({"-E", "-s"}) == Mode::kPython);
}

TEST_CASE("a program named python* is Python whatever the arguments", "[mode]") {
  CHECK(mode_of({}, {}, "/opt/sky/bin/python3") == Mode::kPython);
  CHECK(mode_of({"status"}, {}, "python") == Mode::kPython);
  CHECK(mode_of({"-c"}, {}, "python3.11") == Mode::kPython);
}

TEST_CASE("a program named aws is the AWS CLI whatever the arguments", "[mode]") {
  CHECK(mode_of({"--version"}, {}, "aws") == Mode::kAwsCli);
  CHECK(mode_of({"configure", "list"}, {}, "/usr/bin/aws") == Mode::kAwsCli);
  CHECK(mode_of({"-c", "pass"}, {}, "aws") == Mode::kAwsCli);
  // Only that name: a program awsx or aws2 is sky-native as usual.
  CHECK(mode_of({"status"}, {}, "aws2") == Mode::kSkyCli);
}

TEST_CASE("the installation check", "[mode]") {
  CHECK(mode_of({"--native-info"}) == Mode::kNativeInfo);
  CHECK(mode_of({"--native-info", "--json"}) == Mode::kNativeInfo);
  CHECK(mode_of({"status", "--native-info"}) == Mode::kSkyCli);
}

TEST_CASE("the command server's own commands", "[mode]") {
  CHECK(mode_of({"--native-server", "status"}) == Mode::kNativeServer);
  CHECK(mode_of({"--native-server", "serve", "/run/x.sock"}) == Mode::kNativeServer);
  CHECK(mode_of({"--native-server"}) == Mode::kNativeServer);
  CHECK(mode_of({"--native-server", "stop"}, {}, "python3") == Mode::kPython);
  CHECK(mode_of({"status", "--native-server"}) == Mode::kSkyCli);
  using sky_native::launcher::is_serve_command;
  CHECK(is_serve_command({"--native-server", "serve", "/run/x.sock"}));
  CHECK_FALSE(is_serve_command({"--native-server", "serve"}));
  CHECK_FALSE(is_serve_command({"--native-server", "status"}));
}

TEST_CASE("the served module: SkyPilot's shape for its managed-job controller", "[mode]") {
  using sky_native::launcher::served_module;
  CHECK(served_module({"-u", "-msky.jobs.controller", "a-uuid"}) == "sky.jobs.controller");
  CHECK(served_module({"-u", "-m", "sky.jobs.controller", "x.yaml", "--job-id", "3"}) ==
        "sky.jobs.controller");
  CHECK(served_module({"-u", "-msky.jobs.controller"}) == "sky.jobs.controller");
  CHECK_FALSE(served_module({"-msky.jobs.controller", "a-uuid"}));         // not unbuffered
  CHECK_FALSE(served_module({"-u", "-E", "-msky.jobs.controller", "a"}));  // another option
  CHECK_FALSE(served_module({"-u", "-msky.server.server"}));               // another module
  CHECK_FALSE(served_module({"-u", "-m"}));
  CHECK_FALSE(served_module({"-u", "-c", "sky.jobs.controller"}));
  CHECK_FALSE(served_module({}));
}

TEST_CASE("repair and clean belong to the single file alone", "[mode]") {
  CHECK(mode_of({"--native-repair"}, {}, "sky-native", true) == Mode::kNativeRepair);
  CHECK(mode_of({"--native-clean", "x"}, {}, "sky-native", true) == Mode::kNativeClean);
  // Whatever the program name, as long as it is the single file.
  CHECK(mode_of({"--native-clean"}, {}, "python3", true) == Mode::kNativeClean);
  // Elsewhere the sky CLI gets them (and rejects them), or Python does.
  CHECK(mode_of({"--native-repair"}) == Mode::kSkyCli);
  CHECK(mode_of({"--native-clean"}, {}, "python3") == Mode::kPython);
  CHECK(mode_of({"status", "--native-repair"}, {}, "sky-native", true) == Mode::kSkyCli);
}
