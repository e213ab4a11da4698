// process: sky-native's is_process_alive (spec section 11).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sky::core {

/// The largest pid_t on Linux and macOS (signed 32-bit).
constexpr long long kMaxPid = 2147483647LL;

/// The state field of a /proc/<pid>/stat line: the first token (split on
/// ASCII whitespace, as bytes.split()) after the LAST ')', since the command
/// name in parentheses may itself hold spaces and ')'. std::nullopt when
/// there is no ')' or no token after it. Works on raw bytes.
std::optional<std::string> proc_stat_state(std::string_view stat);

/// Reads <proc_root>/<pid>/stat and tells whether its state is "Z".
/// std::nullopt when the file cannot be read or parsed.
std::optional<bool> is_zombie(long long pid, const std::string& proc_root = "/proc");

/// True when a process with this pid exists and is not a zombie:
/// pid <= 0 or pid > kMaxPid gives false (nothing is signalled);
/// kill(pid, 0) failing with ESRCH gives false, EPERM counts as existing,
/// any other errno throws OsError(errno); then a readable stat file in
/// state "Z" gives false, an unreadable one leaves the kill() answer.
bool is_process_alive(long long pid, const std::string& proc_root = "/proc");

}  // namespace sky::core
