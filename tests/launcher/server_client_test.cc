#include "server_client.h"

#include <catch2/catch.hpp>

using sky_native::launcher::needs_controlling_terminal;
using sky_native::launcher::server_enabled;

TEST_CASE("the command server is used only when asked for") {
  CHECK(server_enabled("1"));
  CHECK_FALSE(server_enabled(nullptr));
  CHECK_FALSE(server_enabled("0"));
  CHECK_FALSE(server_enabled(""));
  CHECK_FALSE(server_enabled("yes"));
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
