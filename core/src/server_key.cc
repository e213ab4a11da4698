#include "sky/core/server_key.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>

namespace sky::core::server {
namespace {

constexpr std::array<std::string_view, 5> kPrefixes = {"SKYPILOT_", "SKY_", "PYTHON", "LC_",
                                                       "XDG_"};
constexpr std::array<std::string_view, 28> kNames = {
    "VIRTUAL_ENV", "HOME",          "USER",         "LOGNAME",
    "PATH",        "LANG",          "LANGUAGE",     "TZ",
    "TMPDIR",      "TEMP",          "TMP",          "TERM",
    "COLORTERM",   "NO_COLOR",      "FORCE_COLOR",  "COLUMNS",
    "LINES",       "HTTP_PROXY",    "HTTPS_PROXY",  "NO_PROXY",
    "ALL_PROXY",   "http_proxy",    "https_proxy",  "no_proxy",
    "all_proxy",   "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE"};

}  // namespace

bool is_key_variable(const std::string& entry) {
  auto equals = entry.find('=');
  if (equals == std::string::npos) return false;
  std::string_view name(entry.data(), equals);
  if (name.rfind("SKY_NATIVE_", 0) == 0) return false;
  for (std::string_view prefix : kPrefixes) {
    if (name.rfind(prefix, 0) == 0) return true;
  }
  return std::find(kNames.begin(), kNames.end(), name) != kNames.end() || name == "CURL_CA_BUNDLE";
}

std::string key_material(const std::vector<std::string>& identity,
                         const std::vector<std::string>& environ) {
  std::vector<std::string> variables;
  std::copy_if(environ.begin(), environ.end(), std::back_inserter(variables), is_key_variable);
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
