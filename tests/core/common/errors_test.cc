#include "sky/common/errors.h"

#include <catch2/catch.hpp>
#include <cerrno>

using sky::core::OsError;

TEST_CASE("OsError reads like Python's OSError", "[errors]") {
  OsError with_path(ENOENT, "/no/such");
  CHECK(std::string(with_path.what()) == "[Errno 2] No such file or directory: '/no/such'");
  CHECK(with_path.error_number() == ENOENT);
  CHECK(with_path.has_path());
  CHECK(with_path.path() == "/no/such");

  OsError without_path(EADDRINUSE);
  CHECK(std::string(without_path.what()) == "[Errno 98] Address already in use");
  CHECK_FALSE(without_path.has_path());
}

TEST_CASE("throw_os_error uses the current errno", "[errors]") {
  errno = EACCES;
  try {
    sky::core::throw_os_error("/root/x");
    FAIL("no throw");
  } catch (const OsError& e) {
    CHECK(e.error_number() == EACCES);
    CHECK(std::string(e.what()) == "[Errno 13] Permission denied: '/root/x'");
  }
}
