#include "sky/core/server_key.h"

#include <catch2/catch.hpp>

namespace server = sky::core::server;

TEST_CASE("the key takes the variables import-time state depends on") {
  for (const char* entry : {"SKYPILOT_USE_NATIVE=0", "SKYPILOT_USE_RUST=0", "SKYPILOT_CONFIG=x",
                            "SKY_RUNTIME_DIR=/r", "PYTHONPATH=/p", "PYTHONHASHSEED=0",
                            "VIRTUAL_ENV=/v", "HOME=/h", "LANG=C", "LC_ALL=C.UTF-8", "PATH=/bin",
                            "XDG_CONFIG_HOME=/c", "https_proxy=x", "TERM=xterm", "HOME="}) {
    CHECK(server::is_key_variable(entry));
  }
  for (const char* entry : {"SKY_NATIVE_SERVER=1", "SKY_NATIVE_SERVER_LOG=/l", "PWD=/x",
                            "OLDPWD=/y", "SHLVL=2", "HOMEDIR=/z", "noequals", "WINDOWID=3"}) {
    CHECK_FALSE(server::is_key_variable(entry));
  }
}

TEST_CASE("key material: identity first, variables sorted, others ignored") {
  std::string a = server::key_material({"exe=/b"}, {"PWD=/a", "HOME=/h", "LANG=C"});
  std::string b = server::key_material({"exe=/b"}, {"LANG=C", "SHLVL=9", "HOME=/h"});
  CHECK(a == b);
  CHECK(a == "6:exe=/b\n7:HOME=/h\n6:LANG=C\n");
  CHECK(server::key_material({"exe=/b"}, {"HOME=/h", "LANG=C.UTF-8"}) != a);
  CHECK(server::key_material({"exe=/c"}, {"HOME=/h", "LANG=C"}) != a);
  // A value holding a newline cannot pass for two entries.
  CHECK(server::key_material({}, {"HOME=/h\n6:LANG=C"}) !=
        server::key_material({}, {"HOME=/h", "LANG=C"}));
}

TEST_CASE("key names are 16 hex digits of FNV-1a") {
  CHECK(server::key_name("") == "cbf29ce484222325");
  CHECK(server::key_name("a") == "af63dc4c8601ec8c");
  CHECK(server::key_name("x").size() == 16);
}
