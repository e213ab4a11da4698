#include "venv_check.h"

#include <catch2/catch.hpp>
#include <set>

using sky_native::launcher::EmbeddedPython;
using sky_native::launcher::launch_venv;
using sky_native::launcher::venv_mismatch;

namespace {

EmbeddedPython embedded() { return {"3.11.2", "/usr/bin"}; }

bool same_text(const std::string& a, const std::string& b) { return a == b; }

}  // namespace

TEST_CASE("a venv of the embedded interpreter fits", "[venv]") {
  CHECK_FALSE(venv_mismatch("/v",
                            "home = /usr/bin\ninclude-system-site-packages = false\n"
                            "version = 3.11.2\n",
                            embedded(), same_text));
  // uv and virtualenv write version_info.
  CHECK_FALSE(venv_mismatch("/v", "home = /usr/bin\nversion_info = 3.11.2.final.0\n", embedded(),
                            same_text));
  // No version: the home decides; nothing at all: CPython decides.
  CHECK_FALSE(venv_mismatch("/v", "home=/usr/bin\n", embedded(), same_text));
  CHECK_FALSE(venv_mismatch("/v", "", embedded(), same_text));
}

TEST_CASE("a venv of another CPython names the Python to make it from", "[venv]") {
  auto message = venv_mismatch("/w/.venv",
                               "home = /root/.pyenv/versions/3.11.7/bin\r\n"
                               "include-system-site-packages = false\r\nversion = 3.11.7\r\n",
                               embedded(), same_text);
  REQUIRE(message);
  CHECK(*message ==
        "sky-native: the venv /w/.venv was made from Python 3.11.7 in "
        "/root/.pyenv/versions/3.11.7/bin; sky-native embeds CPython 3.11.2: make the venv from "
        "/usr/bin/python3.11 (/usr/bin/python3.11 -m venv /w/.venv)");
  CHECK(message->find('\n') == std::string::npos);
  CHECK(venv_mismatch("/v", "home = /usr/bin\nversion_info = 3.12.1.final.0\n", embedded(),
                      same_text));
  CHECK(venv_mismatch("/v", "home = /opt/python/bin\n", embedded(), same_text));
}

TEST_CASE("the home is compared as a directory, not as text", "[venv]") {
  auto usr_merged = [](const std::string& a, const std::string& b) {
    auto canonical = [](const std::string& dir) { return dir == "/bin" ? "/usr/bin" : dir; };
    return canonical(a) == canonical(b);
  };
  CHECK_FALSE(venv_mismatch("/v", "home = /bin\n", embedded(), usr_merged));
}

TEST_CASE("the venv checked is the binary's own, else the active one", "[venv]") {
  std::set<std::string> files{"/v/pyvenv.cfg", "/b/pyvenv.cfg"};
  auto exists = [&files](const std::string& path) { return files.count(path) > 0; };
  CHECK(launch_venv("/v/bin/sky-native", std::nullopt, exists) == "/v");
  CHECK(launch_venv("/b/sky-native", std::string("/v/bin/sky-native"), exists) == "/b");
  CHECK(launch_venv("/opt/build/sky-native", std::string("/a/bin/sky-native"), exists) == "/a");
  CHECK_FALSE(launch_venv("/opt/build/sky-native", std::nullopt, exists));
}
