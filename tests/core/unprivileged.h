// Runs a check without root's privileges: root reads files whatever their
// mode, so permission cases drop to nobody in a forked child.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <exception>

#include "sky/common/errors.h"

namespace sky_native_test {

/// Runs `action` in a child process (as uid/gid 65534 when this process is
/// root) and returns the errno of the sky::core::OsError it throws: 0 when
/// it throws none, -1 for any other failure.
template <typename Action>
int os_error_without_privileges(Action action) {
  pid_t child = fork();
  if (child < 0) return -1;
  if (child == 0) {
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(255);
    try {
      action();
    } catch (const sky::core::OsError& e) {
      _exit(e.error_number() & 0x7f);
    } catch (...) {
      _exit(255);
    }
    _exit(0);
  }
  int status = 0;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status)) return -1;
  int code = WEXITSTATUS(status);
  return code == 255 ? -1 : code;
}

}  // namespace sky_native_test
