#include "mode.h"

#include <catch2/catch.hpp>
#include <set>

using sky_native::launcher::Mode;
using sky_native::launcher::select_mode;

namespace {

Mode mode_of(std::vector<std::string> args, std::set<std::string> files = {},
             std::string program = "sky-native") {
  return select_mode(program, args,
                     [&](const std::string& path) { return files.count(path) > 0; });
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
  CHECK(mode_of({"-V"}) == Mode::kSkyCli);  // a usage error under sky too
  CHECK(mode_of({"--no-such-flag"}) == Mode::kSkyCli);
  // A name that is not an existing script stays a sky argument.
  CHECK(mode_of({"task.py"}) == Mode::kSkyCli);
  CHECK(mode_of({"status.yaml"}, {"status.yaml"}) == Mode::kSkyCli);
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
}

TEST_CASE("a program named python* is Python whatever the arguments", "[mode]") {
  CHECK(mode_of({}, {}, "/opt/sky/bin/python3") == Mode::kPython);
  CHECK(mode_of({"status"}, {}, "python") == Mode::kPython);
  CHECK(mode_of({"-c"}, {}, "python3.11") == Mode::kPython);
}

TEST_CASE("the installation check", "[mode]") {
  CHECK(mode_of({"--native-info"}) == Mode::kNativeInfo);
  CHECK(mode_of({"--native-info", "--json"}) == Mode::kNativeInfo);
  CHECK(mode_of({"status", "--native-info"}) == Mode::kSkyCli);
}
