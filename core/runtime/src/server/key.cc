#include "sky/runtime/server/key.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <optional>
#include <string_view>

#include <unistd.h>

#include "sky/common/errors.h"
#include "sky/common/posix.h"

namespace sky::core::server {
namespace {

constexpr std::array<std::string_view, 7> kPrefixes = {
    "SKYPILOT_", "SKY_", "PYTHON", "LC_", "XDG_",
    // The dynamic loader's and malloc's: the server's process was loaded
    // with them, and its commands are forks of it.
    "LD_", "MALLOC_"};
constexpr std::array<std::string_view, 39> kNames = {
    "VIRTUAL_ENV", "HOME", "USER", "LOGNAME", "PATH", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP",
    "TMP", "TERM", "COLORTERM", "NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES", "HTTP_PROXY",
    "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy", "all_proxy",
    "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
    // glibc's UNSECURE_ENVVARS (what it drops for setuid programs) beyond
    // LD_* and MALLOC_*: what libc reads in the process before main.
    "GLIBC_TUNABLES", "GCONV_PATH", "GETCONF_DIR", "HOSTALIASES", "LOCALDOMAIN", "LOCPATH",
    "NIS_PATH", "NLSPATH", "RESOLV_HOST_CONF", "RES_OPTIONS", "TZDIR"};

constexpr std::array<std::string_view, 11> kCredentialFields = {
    "Uid:",    "Gid:",    "Groups:",     "CapInh:",  "CapPrm:",         "CapEff:",
    "CapBnd:", "CapAmb:", "NoNewPrivs:", "Seccomp:", "Seccomp_filters:"};

// The namespaces a forked command would share with the server instead of
// the client's: another network, mount or PID namespace is another world.
constexpr std::array<const char*, 8> kNamespaces = {"cgroup", "ipc",  "mnt",  "net",
                                                    "pid",    "time", "user", "uts"};

// sky-native's own switches (SKY_NATIVE_*): they choose what the launcher
// does, and SkyPilot never reads them.
bool is_native_switch(std::string_view name) { return name.rfind("SKY_NATIVE_", 0) == 0; }

std::string_view name_of(const std::string& entry) {
  return std::string_view(entry.data(), std::min(entry.find('='), entry.size()));
}

}  // namespace

std::vector<std::string> credential_lines(const std::string& proc_status) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < proc_status.size()) {
    std::size_t end = proc_status.find('\n', start);
    if (end == std::string::npos) end = proc_status.size();
    std::string_view line(proc_status.data() + start, end - start);
    for (std::string_view field : kCredentialFields) {
      if (line.rfind(field, 0) == 0) lines.emplace_back(line);
    }
    start = end + 1;
  }
  return lines;
}

std::vector<std::string> read_credentials(const std::string& proc_self) {
  std::optional<std::string> status = read_whole_file(proc_self + "/status");
  if (!status) throw OsError(errno, proc_self + "/status");
  std::vector<std::string> lines = credential_lines(*status);
  std::optional<std::string> label = read_whole_file(proc_self + "/attr/current");
  lines.push_back(label ? "lsm=" + *label : "lsm-errno=" + std::to_string(errno));
  for (const char* name : kNamespaces) {
    std::string link = proc_self + "/ns/" + name;
    std::array<char, 256> target{};
    ssize_t length = ::readlink(link.c_str(), target.data(), target.size());
    // A kernel without this kind of namespace has no link: nothing to differ.
    if (length > 0) lines.push_back("ns=" + std::string(target.data(), length));
  }
  return lines;
}

bool is_key_variable(const std::string& entry) {
  if (entry.find('=') == std::string::npos) return false;
  std::string_view name = name_of(entry);
  if (is_native_switch(name)) return false;
  for (std::string_view prefix : kPrefixes) {
    if (name.rfind(prefix, 0) == 0) return true;
  }
  return std::find(kNames.begin(), kNames.end(), name) != kNames.end() || name == "CURL_CA_BUNDLE";
}

std::string key_material(const std::vector<std::string>& identity,
                         const std::vector<std::string>& environ, bool whole_environment) {
  std::vector<std::string> variables;
  std::copy_if(environ.begin(), environ.end(), std::back_inserter(variables),
               [whole_environment](const std::string& entry) {
                 return whole_environment ? !is_native_switch(name_of(entry))
                                          : is_key_variable(entry);
               });
  std::sort(variables.begin(), variables.end());
  std::string material;
  // A newline inside a value cannot forge another line: each line is
  // length-prefixed.
  auto add = [&material](const std::string& line) {
    material += std::to_string(line.size());
    material += ':';
    material += line;
    material += '\n';
  };
  for (const std::string& line : identity) add(line);
  for (const std::string& line : variables) add(line);
  return material;
}

std::string key_name(const std::string& material) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (unsigned char byte : material) {
    hash ^= byte;
    hash *= 1099511628211ULL;
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string name(16, '0');
  for (int i = 15; i >= 0; --i) {
    name[static_cast<std::size_t>(i)] = kDigits[hash & 0xFU];
    hash >>= 4U;
  }
  return name;
}

}  // namespace sky::core::server
