#include "sky/core/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>

#include "sky/core/errors.h"

namespace sky::core {
namespace {

// bytes.split() whitespace: space, \t, \n, \v, \f, \r.
bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// The whole file, as Python's f.read(); nullopt on any error.
std::optional<std::string> read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string contents;
  char buffer[4096];
  for (;;) {
    ssize_t got = ::read(fd, buffer, sizeof(buffer));
    if (got < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return std::nullopt;
    }
    contents.append(buffer, static_cast<std::size_t>(got));
    // A short read is the end for regular files and for procfs's one-shot
    // stat records: saves the extra read() that would return 0.
    if (static_cast<std::size_t>(got) < sizeof(buffer)) break;
  }
  ::close(fd);
  return contents;
}

}  // namespace

std::optional<std::string> proc_stat_state(std::string_view stat) {
  std::size_t close = stat.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::size_t begin = close + 1;
  while (begin < stat.size() && is_ascii_space(stat[begin])) ++begin;
  if (begin == stat.size()) return std::nullopt;
  std::size_t end = begin;
  while (end < stat.size() && !is_ascii_space(stat[end])) ++end;
  return std::string(stat.substr(begin, end - begin));
}

std::optional<bool> is_zombie(long long pid, const std::string& proc_root) {
  std::optional<std::string> stat = read_file(proc_root + "/" + std::to_string(pid) + "/stat");
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
