#include "sky/functions/process.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sky/common/errors.h"
#include "sky/common/posix.h"
#include "sky/functions/python_float.h"

namespace sky::core {
namespace {}  // namespace

std::optional<std::string> proc_stat_state(std::string_view stat) {
  // memrchr, not string_view::rfind: libstdc++'s rfind steps one byte at a
  // time over the ~50 fields after the name.
  const void* close = stat.empty() ? nullptr : ::memrchr(stat.data(), ')', stat.size());
  if (close == nullptr) return std::nullopt;
  std::size_t begin = static_cast<std::size_t>(static_cast<const char*>(close) - stat.data()) + 1;
  while (begin < stat.size() && is_ascii_space(stat[begin])) ++begin;
  if (begin == stat.size()) return std::nullopt;
  std::size_t end = begin;
  while (end < stat.size() && !is_ascii_space(stat[end])) ++end;
  return std::string(stat.substr(begin, end - begin));
}

std::optional<bool> is_zombie(long long pid, const std::string& proc_root) {
  std::optional<std::string> stat =
      read_whole_file(proc_root + "/" + std::to_string(pid) + "/stat", /*one_record=*/true);
  if (!stat) return std::nullopt;
  std::optional<std::string> state = proc_stat_state(*stat);
  if (!state) return std::nullopt;
  return *state == "Z";
}

bool is_process_alive(long long pid, const std::string& proc_root) {
  if (pid <= 0 || pid > kMaxPid) return false;
  if (::kill(static_cast<pid_t>(pid), 0) != 0) {
    if (errno == ESRCH) return false;
    if (errno != EPERM) throw OsError(errno);
  }
  return !is_zombie(pid, proc_root).value_or(false);
}

}  // namespace sky::core
