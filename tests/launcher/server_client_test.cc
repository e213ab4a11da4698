#include "server_client.h"

#include <catch2/catch.hpp>
#include <cstdlib>

#include "plan.h"

using sky_native::launcher::needs_controlling_terminal;
using sky_native::launcher::offer_to_server;
using sky_native::launcher::server_enabled;

TEST_CASE("the command server is used only when asked for") {
  CHECK(server_enabled("1"));
  CHECK_FALSE(server_enabled(nullptr));
  CHECK_FALSE(server_enabled("0"));
  CHECK_FALSE(server_enabled(""));
  CHECK_FALSE(server_enabled("yes"));
}

TEST_CASE("the API server's preloaded children are on unless turned off") {
  using sky_native::launcher::zygote_enabled;
  CHECK(zygote_enabled(nullptr));
  CHECK(zygote_enabled(""));
  CHECK(zygote_enabled("1"));
  CHECK(zygote_enabled("yes"));
  for (const char* off : {"0", "false", "no", "off", " OFF\n", "False"}) {
    INFO(off);
    CHECK_FALSE(zygote_enabled(off));
  }
}

TEST_CASE("commands that may need the controlling terminal are recognised") {
  using Args = std::vector<std::string>;
  for (const Args& args :
       {Args{"launch", "task.yaml"}, Args{"exec", "c", "ls"}, Args{"start", "c"}, Args{"ssh", "up"},
        Args{"jobs", "launch", "t.yaml"}, Args{"serve", "up", "s.yaml"},
        Args{"serve", "update", "s"}, Args{"-v", "launch"}}) {
    CHECK(needs_controlling_terminal(args));
  }
  for (const Args& args :
       {Args{}, Args{"status"}, Args{"--help"}, Args{"api", "status"}, Args{"jobs", "queue"},
        Args{"serve", "status"}, Args{"logs", "c"}, Args{"status", "launch"}, Args{"down", "-a"}}) {
    CHECK_FALSE(needs_controlling_terminal(args));
  }
}

TEST_CASE("a command line without argv[0] runs cold, even when the server is asked for") {
  setenv("SKY_NATIVE_SERVER", "1", 1);
  CHECK_FALSE(offer_to_server(sky_native::launcher::LaunchPlan{}, {}));
  unsetenv("SKY_NATIVE_SERVER");
}
