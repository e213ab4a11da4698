#include "sky/runtime/server/key.h"

#include <catch2/catch.hpp>

#include "sky/common/errors.h"

namespace server = sky::core::server;

TEST_CASE("the key takes the variables import-time state depends on") {
  for (const char* entry : {"SKYPILOT_USE_NATIVE=0",
                            "SKYPILOT_USE_RUST=0",
                            "SKYPILOT_CONFIG=x",
                            "SKY_RUNTIME_DIR=/r",
                            "PYTHONPATH=/p",
                            "PYTHONHASHSEED=0",
                            "VIRTUAL_ENV=/v",
                            "HOME=/h",
                            "LANG=C",
                            "LC_ALL=C.UTF-8",
                            "PATH=/bin",
                            "XDG_CONFIG_HOME=/c",
                            "https_proxy=x",
                            "TERM=xterm",
                            "HOME=",
                            "LD_PRELOAD=/l.so",
                            "LD_LIBRARY_PATH=/l",
                            "LD_BIND_NOW=1",
                            "LD_AUDIT=/a.so",
                            "GLIBC_TUNABLES=glibc.malloc.check=3",
                            "MALLOC_ARENA_MAX=2",
                            "GCONV_PATH=/g",
                            "LOCPATH=/l",
                            "RES_OPTIONS=ndots:2",
                            "TZDIR=/z"}) {
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

TEST_CASE("key material of the whole environment: every variable but sky-native's switches") {
  std::string a =
      server::key_material({"exe=/b"}, {"SHLVL=2", "HOME=/h", "SKY_NATIVE_SERVER_LOG=/t"}, true);
  CHECK(a == "6:exe=/b\n7:HOME=/h\n7:SHLVL=2\n");
  CHECK(server::key_material({"exe=/b"}, {"SHLVL=3", "HOME=/h"}, true) != a);
  CHECK(server::key_material({"exe=/b"}, {"HOME=/h", "SHLVL=2", "SKY_NATIVE_ZYGOTE=1"}, true) == a);
}

TEST_CASE("key names are 16 hex digits of FNV-1a") {
  CHECK(server::key_name("") == "cbf29ce484222325");
  CHECK(server::key_name("a") == "af63dc4c8601ec8c");
  CHECK(server::key_name("x").size() == 16);
}

TEST_CASE("credential lines: ids, groups, capabilities, no_new_privs, seccomp") {
  const std::string status =
      "Name:\tsky-native\nUmask:\t0022\nState:\tR (running)\nPid:\t7\n"
      "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t64\nGroups:\t0 27 \n"
      "VmRSS:\t100 kB\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\n"
      "CapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n"
      "NoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\nSpeculation_Store_Bypass:\tx\n"
      "Cpus_allowed:\t3\n";
  CHECK(server::credential_lines(status) ==
        std::vector<std::string>{
            "Uid:\t0\t0\t0\t0", "Gid:\t0\t0\t0\t0", "Groups:\t0 27 ", "CapInh:\t0000000000000000",
            "CapPrm:\t000001ffffffffff", "CapEff:\t000001ffffffffff", "CapBnd:\t000001ffffffffff",
            "CapAmb:\t0000000000000000", "NoNewPrivs:\t0", "Seccomp:\t0", "Seccomp_filters:\t0"});
  CHECK(server::credential_lines("").empty());
}

TEST_CASE("this process's credentials are read, then the LSM label and the namespaces") {
  std::vector<std::string> lines = server::read_credentials("/proc/self");
  REQUIRE(lines.size() >= 18);
  CHECK(lines.front().rfind("Uid:", 0) == 0);
  CHECK(lines[lines.size() - 9].rfind("lsm", 0) == 0);
  CHECK(lines[lines.size() - 5].rfind("ns=net:[", 0) == 0);
  CHECK(lines.back().rfind("ns=uts:[", 0) == 0);
  CHECK_THROWS_AS(server::read_credentials("/nonexistent"), sky::core::OsError);
}
