#include <catch2/catch.hpp>
#include <set>

#include "plan.h"

using sky_native::launcher::find_program;
using sky_native::launcher::LaunchEnvironment;
using sky_native::launcher::Mode;
using sky_native::launcher::plan_launch;

namespace {

LaunchEnvironment environment(const std::set<std::string>& files,
                              std::optional<std::string> virtual_env = std::nullopt) {
  LaunchEnvironment result;
  result.self_path = "/opt/sky/build/sky-native";
  result.virtual_env = std::move(virtual_env);
  result.exists = [files](const std::string& path) { return files.count(path) > 0; };
  result.is_single_file = [] { return false; };
  return result;
}

}  // namespace

TEST_CASE("sky mode runs the CLI program with the binary as argv[0]", "[plan]") {
  auto plan = plan_launch({"sky-native", "status", "-r"}, environment({}));
  CHECK(plan.mode == Mode::kSkyCli);
  CHECK(plan.argv == std::vector<std::string>{"/opt/sky/build/sky-native", "status", "-r"});
  CHECK(plan.run_command.find("sky_native._cli") != std::string::npos);
  CHECK(plan.executable == "/opt/sky/build/sky-native");
  CHECK_FALSE(plan.path_config_executable);
}

TEST_CASE("Python mode hands CPython the command line untouched", "[plan]") {
  auto plan = plan_launch({"sky-native", "-m", "sky.server.server"}, environment({}));
  CHECK(plan.mode == Mode::kPython);
  CHECK(plan.argv == std::vector<std::string>{"sky-native", "-m", "sky.server.server"});
  CHECK(plan.run_command.empty());
}

TEST_CASE("the installation check runs its own program", "[plan]") {
  auto plan = plan_launch({"sky-native", "--native-info", "--json"}, environment({}));
  CHECK(plan.mode == Mode::kNativeInfo);
  CHECK(plan.argv ==
        std::vector<std::string>{"/opt/sky/build/sky-native", "--native-info", "--json"});
  CHECK(plan.run_command.find("sky_native._native_info") != std::string::npos);
}

TEST_CASE("a program named aws runs awscli's program", "[plan]") {
  auto plan = plan_launch({"/usr/bin/aws", "configure", "list"}, environment({}));
  CHECK(plan.mode == Mode::kAwsCli);
  CHECK(plan.argv == std::vector<std::string>{"/opt/sky/build/sky-native", "configure", "list"});
  CHECK(plan.run_command.find("aws_main") != std::string::npos);
}

TEST_CASE("an active venv supplies the prefixes", "[plan]") {
  auto plan = plan_launch({"sky-native"}, environment({"/work/.venv/pyvenv.cfg"}, "/work/.venv"));
  REQUIRE(plan.path_config_executable);
  CHECK(*plan.path_config_executable == "/work/.venv/bin/sky-native");
  CHECK(plan.executable == "/opt/sky/build/sky-native");
}

TEST_CASE("VIRTUAL_ENV without pyvenv.cfg is ignored", "[plan]") {
  auto plan = plan_launch({"sky-native"}, environment({}, "/nowhere"));
  CHECK_FALSE(plan.path_config_executable);
}

TEST_CASE("a binary inside a venv uses that venv, not VIRTUAL_ENV", "[plan]") {
  auto env = environment({"/opt/sky/pyvenv.cfg", "/work/.venv/pyvenv.cfg"}, "/work/.venv");
  auto plan = plan_launch({"sky-native"}, env);
  CHECK_FALSE(plan.path_config_executable);
}

TEST_CASE("sys.executable is the program as started, like CPython's", "[plan]") {
  std::set<std::string> executables = {"/usr/local/bin/sky-native", "/opt/sky/bin/python3",
                                       "/home/u/sky-native"};
  auto is_executable = [&](const std::string& path) { return executables.count(path) > 0; };
  const std::string path = "/usr/bin:/usr/local/bin:/opt/sky/bin";
  CHECK(find_program("/x/y/sky-native", "/home/u", path, is_executable) == "/x/y/sky-native");
  CHECK(find_program("./sky-native", "/home/u", path, is_executable) == "/home/u/sky-native");
  CHECK(find_program("././bin/python3", "/opt/sky", path, is_executable) == "/opt/sky/bin/python3");
  CHECK(find_program("bin/python3", "/", path, is_executable) == "/bin/python3");
  CHECK(find_program("sky-native", "/home/u", path, is_executable) == "/usr/local/bin/sky-native");
  CHECK(find_program("python3", "/home/u", path, is_executable) == "/opt/sky/bin/python3");
  // An empty PATH entry is the current directory; relative entries join it.
  CHECK(find_program("sky-native", "/home/u", "/usr/bin::/opt", is_executable) ==
        "/home/u/sky-native");
  CHECK(find_program("sky-native", "/home", "u", is_executable) == "/home/u/sky-native");
  CHECK(find_program("sky-native", "/home/u", "/usr/bin", is_executable).empty());
  CHECK(find_program("", "/home/u", path, is_executable).empty());
  CHECK(find_program("a/b", "", path, is_executable).empty());
}

TEST_CASE("the command server runs its own program; status and stop run none", "[plan]") {
  auto serve =
      plan_launch({"sky-native", "--native-server", "serve", "/run/k.sock"}, environment({}));
  CHECK(serve.mode == Mode::kNativeServer);
  CHECK(serve.argv == std::vector<std::string>{"/opt/sky/build/sky-native", "--native-server",
                                               "serve", "/run/k.sock"});
  CHECK(serve.run_command.find("sky_native._server") != std::string::npos);
  auto status = plan_launch({"sky-native", "--native-server", "status"}, environment({}));
  CHECK(status.mode == Mode::kNativeServer);
  CHECK(status.argv ==
        std::vector<std::string>{"/opt/sky/build/sky-native", "--native-server", "status"});
  CHECK(status.run_command.empty());
}
